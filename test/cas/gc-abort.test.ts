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
  store.watchDropped(() => { closing ??= store.close() })
  const err = await t.throwsAsync(store.gc({ targetBytes: 0 }), { instanceOf: GcInterruptedError })
  await closing
  t.is(err?.evicted, GC_CHUNK_ENTRIES)
  t.is((await blobFiles(dir)).length, ENTRIES - GC_CHUNK_ENTRIES)
  const reopened = await openStore(t, { dir })
  t.like(reopened.recovery, { orphanBlobsRemoved: 0, entriesDropped: 0 })
  t.like(reopened.stats(), { entries: ENTRIES - GC_CHUNK_ENTRIES })
})
