import test from 'ava'
import { randomBytes } from 'node:crypto'
import type { ContentStore } from '../../src/cas/index.js'
import { blobFile, blobFiles, indexWriteOf, interceptIndexBatches, latch, newKey, openStore, sha256, tempDir } from './helpers.js'

const DISK_FULL = (): Error => new Error('ENOSPC: no space left on device')

/** Stores 2000 bytes under a new key, then the disk fills: the next index batch is refused. */
async function storedBeforeDiskFills (store: ContentStore): Promise<{ key: string, before: Buffer }> {
  const key = newKey()
  const before = randomBytes(2000)
  await store.put(key, before)
  interceptIndexBatches(store, async n => n === 0 ? DISK_FULL() : undefined)
  return { key, before }
}

test('a put whose index batch fails (a full disk, say) leaves the key as the index has it: the old bytes, still served', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const { key, before } = await storedBeforeDiskFills(store)
  await t.throwsAsync(store.put(key, randomBytes(3000)), { message: /ENOSPC/ })
  t.like(await store.head(key), { sha256: sha256(before), size: 2000 })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), before)
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  t.deepEqual(await blobFiles(dir), [blobFile(before)], 'the new blob went, the old one stayed')
})

/**
 * Puts `before` under a key, then puts it twice more, the first put's index batch held until the second put is
 * queued behind it; `refused` says which of the two batches (0, 1) the disk refuses, as a full disk does.
 */
async function twoPutsInFlight (store: ContentStore, refused: (n: number) => boolean): Promise<{
  key: string, before: Buffer, second: Buffer, putFirst: Promise<unknown>, putSecond: Promise<unknown>
}> {
  const key = newKey()
  const [before, first, second] = [randomBytes(2000), randomBytes(3000), randomBytes(4000)]
  await store.put(key, before)
  const started = latch()
  const release = latch()
  interceptIndexBatches(store, async n => {
    if (n === 0) {
      started.open()
      await release.done
    }
    return n <= 1 && refused(n) ? DISK_FULL() : undefined
  })
  const putFirst = store.put(key, first)
  await started.done
  const queued = indexWriteOf(store, sha256(second))
  const putSecond = store.put(key, second)
  await queued
  release.open()
  return { key, before, second, putFirst, putSecond }
}

test('two puts of a key whose index batches both fail leave it as the index holds it: the bytes from before both', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const { key, before, putFirst, putSecond } = await twoPutsInFlight(store, () => true)
  await t.throwsAsync(putFirst, { message: /ENOSPC/ })
  await t.throwsAsync(putSecond, { message: /ENOSPC/ })
  t.like(await store.head(key), { sha256: sha256(before), size: 2000 })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), before)
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  await store.close()
  t.deepEqual(await blobFiles(dir), [blobFile(before)])
  t.like(await (await openStore(t, { dir })).head(key), { sha256: sha256(before) }, 'the index agrees')
})

test('a put whose batch fails while a later put of the key lands leaves that later one, and no blob of the other two', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const { key, second, putFirst, putSecond } = await twoPutsInFlight(store, n => n === 0)
  await t.throwsAsync(putFirst, { message: /ENOSPC/ })
  await putSecond
  t.like(await store.head(key), { sha256: sha256(second), size: 4000 })
  t.like(store.stats(), { entries: 1, bytes: 4000 })
  await store.close()
  t.deepEqual(await blobFiles(dir), [blobFile(second)], 'the blob the index named until the second put landed went too')
  t.like(await (await openStore(t, { dir })).head(key), { sha256: sha256(second) })
})

test('a delete whose index batch fails keeps the entry, as the index still has it', async t => {
  const store = await openStore(t)
  const { key, before } = await storedBeforeDiskFills(store)
  await t.throwsAsync(store.delete(key), { message: /ENOSPC/ })
  t.like(await store.head(key), { sha256: sha256(before) })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), before)
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  t.true(await store.delete(key), 'and it can be deleted once the disk has room')
  t.is(await store.head(key), undefined)
})
