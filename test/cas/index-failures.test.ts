import test from 'ava'
import { randomBytes } from 'node:crypto'
import { indexWriteOf, interceptIndexBatches, latch, listFiles, newKey, openStore, sha256, tempDir } from './helpers.js'

const DISK_FULL = (): Error => new Error('ENOSPC: no space left on device')

async function blobFiles (dir: string): Promise<string[]> {
  return (await listFiles(dir)).filter(f => f.startsWith('blobs/'))
}

function blobFile (bytes: Uint8Array): string {
  return `blobs/${sha256(bytes).slice(0, 2)}/${sha256(bytes)}`
}

test('a put whose index batch fails (a full disk, say) leaves the key as the index has it: the old bytes, still served', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const before = randomBytes(2000)
  await store.put(key, before)
  interceptIndexBatches(store, async n => n === 0 ? DISK_FULL() : undefined)
  await t.throwsAsync(store.put(key, randomBytes(3000)), { message: /ENOSPC/ })
  t.like(await store.head(key), { sha256: sha256(before), size: 2000 })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), before)
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  t.deepEqual(await blobFiles(dir), [blobFile(before)], 'the new blob went, the old one stayed')
})

test('two puts of a key whose index batches both fail leave it as the index holds it: the bytes from before both', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const [before, first, second] = [randomBytes(2000), randomBytes(3000), randomBytes(4000)]
  await store.put(key, before)
  const started = latch()
  const release = latch()
  // the first put's batch is held until the second put is queued behind it, then the disk is full for both
  interceptIndexBatches(store, async n => {
    if (n === 0) {
      started.open()
      await release.done
    }
    return n <= 1 ? DISK_FULL() : undefined
  })
  const putFirst = store.put(key, first)
  await started.done
  const queued = indexWriteOf(store, sha256(second))
  const putSecond = store.put(key, second)
  await queued
  release.open()
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
  const key = newKey()
  const [before, first, second] = [randomBytes(2000), randomBytes(3000), randomBytes(4000)]
  await store.put(key, before)
  const started = latch()
  const release = latch()
  interceptIndexBatches(store, async n => {
    if (n !== 0) return undefined
    started.open()
    await release.done
    return DISK_FULL()
  })
  const putFirst = store.put(key, first)
  await started.done
  const queued = indexWriteOf(store, sha256(second))
  const putSecond = store.put(key, second)
  await queued
  release.open()
  await t.throwsAsync(putFirst, { message: /ENOSPC/ })
  await putSecond
  t.like(await store.head(key), { sha256: sha256(second), size: 4000 })
  t.like(store.stats(), { entries: 1, bytes: 4000 })
  await store.close()
  t.deepEqual(await blobFiles(dir), [blobFile(second)], 'the blob the index named until the second put landed went too')
  t.like(await (await openStore(t, { dir })).head(key), { sha256: sha256(second) })
})

test('a delete whose index batch fails keeps the entry, as the index still has it', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const bytes = randomBytes(2000)
  await store.put(key, bytes)
  interceptIndexBatches(store, async n => n === 0 ? DISK_FULL() : undefined)
  await t.throwsAsync(store.delete(key), { message: /ENOSPC/ })
  t.like(await store.head(key), { sha256: sha256(bytes) })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), bytes)
  t.like(store.stats(), { entries: 1, bytes: 2000 })
  t.true(await store.delete(key), 'and it can be deleted once the disk has room')
  t.is(await store.head(key), undefined)
})
