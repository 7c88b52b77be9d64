import test from 'ava'
import { randomBytes } from 'node:crypto'
import type { ContentStore } from '../../src/cas/index.js'
import { IndexUnavailableError } from '../../src/cas/errors.js'
import { blobFile, blobFiles, indexWriteOf, latch, newKey, openStore, readAll, sha256, tempDir } from './helpers.js'

/**
 * Makes the store's index behave as on a full disk: every batch fails, and so does every open, so the reopen after
 * a failed batch leaves the database closed (as LevelDB does when it cannot write a new log). `free()` ends it.
 */
function diskFills (store: ContentStore, firstBatch?: () => Promise<void>): { free: () => void } {
  const db = Reflect.get(Reflect.get(store, 'index') as object, 'db') as {
    batch: (ops: unknown[]) => Promise<void>
    open: () => Promise<void>
  }
  const [batch, open] = [db.batch.bind(db), db.open.bind(db)]
  let full = true
  let batches = 0
  db.batch = async ops => {
    if (batches++ === 0) await firstBatch?.()
    if (full) throw new Error('IO error: 000003.log: No space left on device')
    await batch(ops)
  }
  db.open = async () => {
    if (full) throw new Error('IO error: 000005.log: No space left on device')
    await open()
  }
  return { free: () => { full = false } }
}

/** Stores `count` entries of 5000 random bytes and reads each once (their lastAccess is due to be flushed). */
async function readEntries (store: ContentStore, count: number): Promise<Array<{ key: string, bytes: Buffer }>> {
  const entries = Array.from({ length: count }, () => ({ key: newKey(), bytes: randomBytes(5000) }))
  for (const { key, bytes } of entries) await store.put(key, bytes)
  for (const { key } of entries) await readAll((await store.get(key))!.body)
  return entries
}

const flush = async (store: ContentStore): Promise<void> => {
  await (Reflect.get(store, 'access') as { flush: () => Promise<void> }).flush()
}

// failed on the code before this test: the flush read the closed index back as empty, and the entries went
test('a lastAccess flush refused while the index cannot be reopened keeps the entries, in memory and on disk', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, accessFlushMs: 3_600_000 })
  const entries = await readEntries(store, 3)
  diskFills(store)
  await t.throwsAsync(store.put(newKey(), randomBytes(100)), { message: /No space left/ })
  await t.throwsAsync(flush(store), { instanceOf: IndexUnavailableError })
  for (const { key, bytes } of entries) t.like(await store.head(key), { sha256: sha256(bytes) })
  await store.close() // waits for the store's background work (deletions); nothing is due to be flushed
  t.deepEqual(await blobFiles(dir), entries.map(e => blobFile(e.bytes)).sort())
  const reopened = await openStore(t, { dir })
  for (const { key, bytes } of entries) t.deepEqual(await readAll((await reopened.get(key))!.body), bytes)
})

// failed on the code before this test: the refused put's read-back found nothing, and the old entry went too
test('a put refused while the index cannot be reopened is not kept; the key keeps the entry from before', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const [key, fresh] = [newKey(), newKey()]
  const before = randomBytes(2000)
  await store.put(key, before)
  diskFills(store)
  await t.throwsAsync(store.put(key, randomBytes(3000)), { message: /No space left/ })
  await t.throwsAsync(store.put(fresh, randomBytes(4000)), { instanceOf: IndexUnavailableError })
  await t.throwsAsync(store.put(key, randomBytes(5000)), { instanceOf: IndexUnavailableError })
  t.like(await store.head(key), { sha256: sha256(before), size: 2000 })
  t.is(await store.head(fresh), undefined)
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  await store.close()
  t.deepEqual(await blobFiles(dir), [blobFile(before)], 'the refused puts left no blob; the old one stayed')
  t.like(await (await openStore(t, { dir })).head(key), { sha256: sha256(before) })
})

// failed on the code before this test: the refused delete's read-back found nothing, so the entry and blob went
test('a delete refused while the index cannot be reopened keeps the entry; once it opens, the delete can be done', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const bytes = randomBytes(2000)
  await store.put(key, bytes)
  const disk = diskFills(store)
  await t.throwsAsync(store.put(newKey(), randomBytes(100)), { message: /No space left/ })
  await t.throwsAsync(store.delete(key), { instanceOf: IndexUnavailableError })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), bytes)
  disk.free()
  const other = randomBytes(300)
  await store.put(newKey(), other) // opens the index again and reads the unknown keys back
  t.like(await store.head(key), { sha256: sha256(bytes) })
  t.true(await store.delete(key))
  t.is(await store.head(key), undefined)
  await store.close()
  t.deepEqual(await blobFiles(dir), [blobFile(other)])
})

test('two puts of a key in flight, the first failing and the second refused while the index cannot be reopened, leave the entry from before both', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const [before, first, second] = [randomBytes(2000), randomBytes(3000), randomBytes(4000)]
  await store.put(key, before)
  const [started, release] = [latch(), latch()]
  diskFills(store, async () => {
    started.open()
    await release.done
  })
  const putFirst = store.put(key, first)
  await started.done
  const queued = indexWriteOf(store, sha256(second))
  const putSecond = store.put(key, second)
  await queued
  release.open()
  await t.throwsAsync(putFirst, { message: /No space left/ })
  await t.throwsAsync(putSecond, { instanceOf: IndexUnavailableError })
  t.like(await store.head(key), { sha256: sha256(before), size: 2000 })
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  await store.close()
  t.deepEqual(await blobFiles(dir), [blobFile(before)])
  t.like(await (await openStore(t, { dir })).head(key), { sha256: sha256(before) })
})

test('a lastAccess flush whose batch fails but whose reopen succeeds keeps the entries and blobs', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, accessFlushMs: 3_600_000 })
  const entries = await readEntries(store, 2)
  const db = Reflect.get(Reflect.get(store, 'index') as object, 'db') as { batch: (ops: unknown[]) => Promise<void> }
  const batch = db.batch.bind(db)
  let batches = 0
  db.batch = async ops => {
    if (batches++ === 0) throw new Error('IO error: 000003.log: No space left on device')
    await batch(ops)
  }
  await t.throwsAsync(flush(store), { message: /No space left/ })
  for (const { key } of entries) t.truthy(await store.head(key))
  await store.close()
  t.deepEqual(await blobFiles(dir), entries.map(e => blobFile(e.bytes)).sort())
})
