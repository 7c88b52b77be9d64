import test from 'ava'
import { randomBytes } from 'node:crypto'
import { GcInterruptedError } from '../../src/cas/errors.js'
import { GC_CHUNK_ENTRIES } from '../../src/cas/gc.js'
import { ContentStore } from '../../src/cas/store.js'
import { blobFiles, newKey, openStore, tempDir } from './helpers.js'

const ENTRIES = 10 * GC_CHUNK_ENTRIES
const SIZE = 64

/** A store in `dir` holding ENTRIES entries of SIZE bytes, each its own blob. */
async function filledStore (t: Parameters<typeof openStore>[0], dir: string): Promise<ContentStore> {
  const store = await openStore(t, { dir, syncBlobs: false })
  for (let i = 0; i < ENTRIES; i += 64) await Promise.all(Array.from({ length: 64 }, async () => await store.put(newKey(), randomBytes(SIZE))))
  return store
}

test('an aborted gc stops after the chunk under way, says what it evicted, and leaves every entry with its blob', async t => {
  const dir = await tempDir(t)
  const store = await filledStore(t, dir)
  const controller = new AbortController()
  // aborted as the first chunk leaves memory: the gc is under way, with ENTRIES - GC_CHUNK_ENTRIES still to go
  store.watchDropped(() => { controller.abort(new Error('interrupted')) })
  const err = await t.throwsAsync(store.gc({ targetBytes: 0, signal: controller.signal }), { instanceOf: GcInterruptedError })
  t.is(err?.evicted, GC_CHUNK_ENTRIES, 'stopped after the first chunk, not at the end')
  t.is(err?.freedBytes, GC_CHUNK_ENTRIES * SIZE)
  const left = ENTRIES - GC_CHUNK_ENTRIES
  t.like(store.stats(), { entries: left, bytes: left * SIZE, evictions: GC_CHUNK_ENTRIES })
  t.is((await blobFiles(dir)).length, left, 'the evicted entries\' blobs are gone, the others\' are there')
  t.deepEqual(await store.verify(), { checked: left, quarantined: 0 })
  await store.close()
  const reopened = await openStore(t, { dir })
  t.deepEqual(reopened.recovery, { tempFilesRemoved: 0, orphanBlobsRemoved: 0, entriesDropped: 0, blobsQuarantined: 0 }, 'nothing for recovery to mend')
  t.like(reopened.stats(), { entries: left })
  t.like(await reopened.gc({ targetBytes: 0 }), { evicted: left }, 'a later gc takes the rest')
  t.deepEqual(await blobFiles(dir), [])
})

test('closing the store stops a gc under way the same way', async t => {
  const dir = await tempDir(t)
  const store = await filledStore(t, dir)
  let closing: Promise<void> | undefined
  // closed by a listener told of the first chunk's entries, while that chunk's blobs are still being deleted
  const closeCalled = new Promise<Promise<void>>(resolve => { store.watchDropped(() => { closing ??= store.close(); resolve(closing) }) })
  const gc = store.gc({ targetBytes: 0 })
  const gcEnded = gc.then(() => undefined, (err: unknown) => err)
  await (await closeCalled)
  // counted before the gc is awaited here: close() itself waited for the chunk under way and its blobs' deletion
  t.is((await blobFiles(dir)).length, ENTRIES - GC_CHUNK_ENTRIES, 'close waited for the first chunk')
  const err = await gcEnded
  t.true(err instanceof GcInterruptedError)
  t.is((err as GcInterruptedError).evicted, GC_CHUNK_ENTRIES)
  const reopened = await openStore(t, { dir })
  t.like(reopened.recovery, { orphanBlobsRemoved: 0, entriesDropped: 0 })
  t.like(reopened.stats(), { entries: ENTRIES - GC_CHUNK_ENTRIES })
})

test('a gc aborted during its last chunk reached its target: it answers what it evicted, not an interruption', async t => {
  const dir = await tempDir(t)
  const store = await filledStore(t, dir)
  const keep = ENTRIES - GC_CHUNK_ENTRIES / 2
  const controller = new AbortController()
  store.watchDropped(() => { controller.abort(new Error('interrupted')) })
  const result = await store.gc({ targetBytes: keep * SIZE, signal: controller.signal })
  t.deepEqual(result, { evicted: GC_CHUNK_ENTRIES / 2, freedBytes: GC_CHUNK_ENTRIES / 2 * SIZE })
  t.like(store.stats(), { entries: keep })
})
