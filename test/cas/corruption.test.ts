import test from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { blobPath, flipByte, listFiles, newKey, openStore, readAll, sha256, tempDir } from './helpers.js'

test('a small blob corrupted on disk is a miss, is quarantined and takes every key on it along', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(5 * 1024)
  const [a, b] = [newKey(), newKey()]
  await store.put(a, bytes)
  await store.put(b, bytes)
  await flipByte(blobPath(dir, bytes), 100)
  t.is(await store.get(a), undefined)
  t.is(await store.head(b), undefined)
  t.is(await store.get(b), undefined)
  t.like(store.stats(), { entries: 0, bytes: 0, hits: 0, misses: 2, quarantined: 1 })
  const left = (await listFiles(dir)).filter(f => !f.startsWith('index/'))
  t.is(left.length, 1)
  t.true(left[0]!.startsWith(`quarantine/${sha256(bytes)}`))
  await store.put(a, bytes)
  t.deepEqual((await store.get(a))?.bytes, bytes, 'the same bytes can be stored again')
})

test('a big blob written to after it was read once is re-hashed and quarantined', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, smallBlobBytes: 16 * 1024 })
  const bytes = randomBytes(256 * 1024)
  const key = newKey()
  await store.put(key, bytes)
  t.deepEqual(await readAll((await store.get(key))!.body), bytes)
  await flipByte(blobPath(dir, bytes), 200_000)
  t.is(await store.get(key), undefined)
  t.like(store.stats(), { entries: 0, hits: 1, misses: 1, quarantined: 1 })
})

test('a small blob kept in memory after a read is read and hashed again once its file is written to', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(5 * 1024)
  const key = newKey()
  await store.put(key, bytes)
  t.deepEqual((await store.get(key))?.bytes, bytes)
  t.deepEqual((await store.get(key))?.bytes, bytes, 'the second hit comes from memory')
  await flipByte(blobPath(dir, bytes), 100)
  t.is(await store.get(key), undefined)
  t.like(store.stats(), { entries: 0, hits: 2, misses: 1, quarantined: 1 })
})

test('a blob truncated on disk is quarantined on read', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(3000)
  const key = newKey()
  await store.put(key, bytes)
  await writeFile(blobPath(dir, bytes), bytes.subarray(0, 1000))
  t.is(await store.get(key), undefined)
  t.like(store.stats(), { quarantined: 1, entries: 0 })
})

test('a blob deleted behind the store\'s back is a miss and its entry is dropped', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(3000)
  const key = newKey()
  await store.put(key, bytes)
  await rm(blobPath(dir, bytes))
  t.is(await store.get(key), undefined)
  t.is(await store.head(key), undefined)
  t.like(store.stats(), { misses: 1, quarantined: 0, entries: 0 })
})

test('verify() hashes every blob and quarantines the corrupt ones, big ones included', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, smallBlobBytes: 1024 })
  const good = randomBytes(4096)
  const bad = randomBytes(4096)
  const [g, b] = [newKey(), newKey()]
  await store.put(g, good)
  await store.put(b, bad)
  await flipByte(blobPath(dir, bad), 0)
  t.deepEqual(await store.verify(), { checked: 2, quarantined: 1 })
  t.truthy(await store.head(g))
  t.is(await store.head(b), undefined)
  t.deepEqual(await store.verify(), { checked: 1, quarantined: 0 })
  await t.throwsAsync(store.verify({ signal: AbortSignal.abort() }), { code: 'ABORT_ERR' } as any)
})

test('a PUT of bytes already stored replaces the file there with its fresh copy, so a rotted copy does not outlive it', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(5 * 1024)
  const [a, b] = [newKey(), newKey()]
  await store.put(a, bytes)
  await flipByte(blobPath(dir, bytes), 7) // rots where nobody reads it
  await store.put(b, bytes)
  t.deepEqual((await store.get(b))?.bytes, bytes, 'the new entry is served')
  t.deepEqual((await store.get(a))?.bytes, bytes, 'and so is the old one, on the same blob')
  t.like(store.stats(), { entries: 2, quarantined: 0 })
})

test('a body whose source reuses its chunk memory is stored as the bytes written, named by their hash', async t => {
  const store = await openStore(t)
  const expected = randomBytes(2 * 1024 * 1024)
  async function * reusing (): AsyncGenerator<Uint8Array> {
    const chunk = Buffer.alloc(64 * 1024)
    for (let at = 0; at < expected.byteLength; at += chunk.byteLength) {
      expected.copy(chunk, 0, at, at + chunk.byteLength)
      yield chunk // overwritten as soon as the next one is asked for
    }
  }
  const key = newKey()
  const meta = await store.put(key, reusing())
  const entry = await store.get(key)
  t.truthy(entry)
  const served = await readAll(entry!.body)
  t.is(sha256(served), meta.sha256, 'served bytes hash to the name the store gave them')
})

test('closing the store while a read finds a corrupt blob: the read is a plain miss, and the next store to open catches the blob', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(5 * 1024)
  const key = newKey()
  await store.put(key, bytes)
  await flipByte(blobPath(dir, bytes), 1)
  const [read] = await Promise.all([store.get(key), store.close()])
  t.is(read, undefined, 'a miss, not an error from the closed index')
  const reopened = await openStore(t, { dir })
  t.is(await reopened.get(key), undefined)
  t.true((await listFiles(dir)).some(f => f.startsWith(`quarantine/${sha256(bytes)}`)))
})

test('a blob that cannot be read (a directory in its place) fails the read and still counts as a miss', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(3000)
  const key = newKey()
  await store.put(key, bytes)
  await rm(blobPath(dir, bytes))
  await mkdir(blobPath(dir, bytes))
  await t.throwsAsync(store.get(key))
  t.like(store.stats(), { hits: 0, misses: 1 }, 'the HTTP side answers 404 and counts a miss: the store agrees')
})

test('a corrupt blob deleted from outside before it could be quarantined drops its entries but is not counted as quarantined', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(3000)
  const key = newKey()
  await store.put(key, bytes)
  await rm(blobPath(dir, bytes))
  // what a read that found the blob corrupt does next, after the file went
  const blobs = Reflect.get(store, 'blobs') as { quarantine: (sha256: string, ino: bigint, during: string) => Promise<void> }
  await blobs.quarantine(sha256(bytes), 1n, 'read')
  t.like(store.stats(), { entries: 0, quarantined: 0 })
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('quarantine/')), [])
})
