import test from 'ava'
import { randomBytes } from 'node:crypto'
import { contentKey, IntegrityError, InvalidArgumentError, InvalidKeyError } from '../../src/cas/index.js'
import { blobPath, chunks, flipByte, listFiles, newKey, openStore, readAll, sha256, tempDir } from './helpers.js'

test('a put entry comes back byte for byte, with its metadata', async t => {
  const store = await openStore(t, { now: () => 1234 })
  const key = newKey()
  const bytes = randomBytes(5 * 1024)
  const meta = await store.put(key, bytes, { producer: 'peerA', signature: 'c2ln' })
  t.deepEqual(meta, { key, sha256: sha256(bytes), size: bytes.length, lastAccess: 1234, producer: 'peerA', signature: 'c2ln' })
  t.deepEqual(await store.head(key), meta)
  const entry = await store.get(key)
  t.truthy(entry)
  t.deepEqual(await readAll(entry!.body), bytes)
  t.deepEqual(Buffer.from(entry!.bytes!), bytes)
  t.like(store.stats(), { entries: 1, bytes: bytes.length, hits: 1, misses: 0, puts: 1 })
})

test('a streamed body larger than the in-memory limit round-trips through the verified stamp', async t => {
  const store = await openStore(t, { smallBlobBytes: 64 * 1024 })
  const key = newKey()
  const parts = Array.from({ length: 20 }, () => randomBytes(50_000))
  const meta = await store.put(key, chunks(parts))
  const whole = Buffer.concat(parts)
  t.is(meta.size, whole.length)
  t.is(meta.sha256, sha256(whole))
  for (let i = 0; i < 2; i++) {
    const entry = await store.get(key)
    t.is(entry?.bytes, undefined)
    t.deepEqual(await readAll(entry!.body), whole)
  }
})

test('a body whose source refills one buffer for every chunk is stored as it was read, though the disk writes behind', async t => {
  const store = await openStore(t, { smallBlobBytes: 64 * 1024 })
  const parts = Array.from({ length: 12 }, () => randomBytes(300 * 1024))
  const reused = Buffer.alloc(300 * 1024)
  async function * refilling (): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      part.copy(reused)
      yield reused
    }
  }
  const key = newKey()
  const meta = await store.put(key, refilling())
  const whole = Buffer.concat(parts)
  t.is(meta.sha256, sha256(whole))
  t.deepEqual(await readAll((await store.get(key))!.body), whole)
})

test('a body of small chunks, all in one buffer its source refills, is stored as it was read, with or without a declared size', async t => {
  const store = await openStore(t, { smallBlobBytes: 64 * 1024 })
  // many chunks fit in one write: none of them may be kept by reference until then
  const sent = randomBytes(300 * 1024 + 333)
  const reused = Buffer.alloc(1024)
  async function * refilling (): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < sent.length; at += reused.length) {
      const n = sent.copy(reused, 0, at)
      yield reused.subarray(0, n)
    }
  }
  for (const expectedSize of [undefined, sent.length]) {
    const key = newKey()
    const meta = await store.put(key, refilling(), expectedSize === undefined ? {} : { expectedSize })
    t.is(meta.sha256, sha256(sent), `declared size: ${expectedSize}`)
    t.true(sent.equals(await readAll((await store.get(key))!.body)), `declared size: ${expectedSize}`)
  }
})

test('a missing key is a miss; a malformed key is rejected', async t => {
  const store = await openStore(t)
  t.is(await store.get(newKey()), undefined)
  t.is(await store.head(newKey()), undefined)
  t.like(store.stats(), { misses: 1, hits: 0 })
  await t.throwsAsync(store.put('../etc/passwd', new Uint8Array(1)), { instanceOf: InvalidKeyError, code: 'ERR_CAS_INVALID_KEY' } as any)
  await t.throwsAsync(store.get('ABC'), { instanceOf: InvalidKeyError })
})

test('a content key takes only the bytes it names; the Gradle key of the same hex is another entry, and both outlive a restart', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir })
  const bytes = randomBytes(3000)
  const sha = sha256(bytes)
  await first.put(contentKey(sha), bytes)
  await t.throwsAsync(first.put(contentKey(sha), randomBytes(3000)), { instanceOf: IntegrityError })
  await t.throwsAsync(first.put(contentKey(sha), bytes, { expectedSha256: sha256(randomBytes(8)) }), { instanceOf: InvalidArgumentError })
  await first.put(sha, Buffer.from('a Gradle entry under the same hex'))
  await first.close()
  const store = await openStore(t, { dir })
  t.deepEqual(Buffer.from((await store.get(contentKey(sha)))!.bytes!), bytes)
  t.deepEqual(Buffer.from((await store.get(sha))!.bytes!), Buffer.from('a Gradle entry under the same hex'))
  await t.throwsAsync(store.get('sha256:' + sha.slice(1)), { instanceOf: InvalidKeyError })
})

test('the same bytes under two keys share one blob, which outlives either key alone', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(4096)
  const blobFile = `blobs/${sha256(bytes).slice(0, 2)}/${sha256(bytes)}`
  const [a, b] = [newKey(), newKey()]
  await store.put(a, bytes)
  await store.put(b, bytes)
  t.like(store.stats(), { entries: 2, bytes: 4096 })
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('blobs/')), [blobFile])
  t.true(await store.delete(a))
  t.is(await store.head(a), undefined)
  t.deepEqual(await readAll((await store.get(b))!.body), bytes)
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('blobs/')), [blobFile])
  t.true(await store.delete(b))
  t.false(await store.delete(b))
  t.like(store.stats(), { entries: 0, bytes: 0 })
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('blobs/')), [])
})

test('evicting one of two keys that share a blob frees nothing, and eviction goes on to the next', async t => {
  const store = await openStore(t)
  const shared = randomBytes(4096)
  const [a, b, c] = [newKey(), newKey(), newKey()]
  await store.put(a, shared)
  await store.put(b, shared)
  await store.put(c, randomBytes(1000))
  t.deepEqual(await store.gc({ targetBytes: 4096 }), { evicted: 2, freedBytes: 4096 })
  t.is(await store.head(a), undefined)
  t.is(await store.head(b), undefined)
  t.truthy(await store.head(c))
  t.like(store.stats(), { entries: 1, bytes: 1000, evictions: 2 })
})

test('putting a key again replaces its entry and deletes the blob nobody refers to any more', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const first = randomBytes(100)
  const second = randomBytes(200)
  await store.put(key, first)
  await store.put(key, second)
  t.like(store.stats(), { entries: 1, bytes: 200, puts: 2 })
  t.deepEqual(await readAll((await store.get(key))!.body), second)
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('blobs/')), [`blobs/${sha256(second).slice(0, 2)}/${sha256(second)}`])
})

test('an empty body is a valid entry', async t => {
  const store = await openStore(t)
  const key = newKey()
  await store.put(key, new Uint8Array(0))
  t.is((await readAll((await store.get(key))!.body)).length, 0)
})

test('a get whose signal is already aborted rejects with AbortError and counts nothing', async t => {
  const store = await openStore(t)
  const key = newKey()
  await store.put(key, randomBytes(10))
  await t.throwsAsync(store.get(key, { signal: AbortSignal.abort() }), { code: 'ABORT_ERR' } as any)
  t.like(store.stats(), { hits: 0, misses: 0 })
})

test('with directory fsync on, or blob fdatasync off, entries round-trip the same', async t => {
  for (const options of [{ syncDirs: true }, { syncBlobs: false }]) {
    const store = await openStore(t, options)
    const key = newKey()
    const bytes = randomBytes(70 * 1024) // past the blocking-write size: one write goes to the threadpool
    await store.put(key, chunks([bytes.subarray(0, 1000), bytes.subarray(1000)]))
    t.deepEqual((await store.get(key))?.bytes, bytes, JSON.stringify(options))
  }
})

test('a proof asked for once the bytes are hashed is indexed with the entry and outlives a restart', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir })
  const key = newKey()
  const bytes = randomBytes(5 * 1024)
  const asked: Array<{ sha256: string, size: number }> = []
  const meta = await first.put(key, chunks([bytes.subarray(0, 100), bytes.subarray(100)]), {
    proofOf: blob => {
      asked.push(blob)
      return { producer: 'peerA', signature: `1:7:${blob.sha256.slice(0, 8)}` }
    }
  })
  t.deepEqual(asked, [{ sha256: sha256(bytes), size: bytes.length }])
  t.like(meta, { producer: 'peerA', signature: `1:7:${sha256(bytes).slice(0, 8)}` })
  await first.close()
  const store = await openStore(t, { dir })
  t.like(await store.head(key), { sha256: sha256(bytes), producer: 'peerA', signature: `1:7:${sha256(bytes).slice(0, 8)}` })
})

test('a put whose proofOf answers nothing keeps the producer and signature given as options; bytes refused are never signed', async t => {
  const store = await openStore(t)
  const kept = await store.put(newKey(), randomBytes(100), { producer: 'peerB', signature: 'c2ln', proofOf: () => undefined })
  t.like(kept, { producer: 'peerB', signature: 'c2ln' })
  let asked = 0
  const proofOf = (): { producer: string, signature: string } => { asked++; return { producer: 'peerA', signature: 'x' } }
  await t.throwsAsync(store.put(newKey(), randomBytes(100), { expectedSha256: sha256(randomBytes(8)), proofOf }), { instanceOf: IntegrityError })
  t.is(asked, 0)
})

test('a proof is attached only to the blob it was made for: a key replaced meanwhile keeps its own', async t => {
  const store = await openStore(t)
  const key = newKey()
  const first = await store.put(key, randomBytes(1000))
  const second = await store.put(key, randomBytes(1000), { producer: 'peerB', signature: 'cHJvb2ZC' })
  t.false(await store.annotate(key, { sha256: first.sha256, producer: 'peerA', signature: 'cHJvb2ZB' }), 'made for the replaced blob')
  t.like(await store.head(key), { sha256: second.sha256, producer: 'peerB', signature: 'cHJvb2ZC' })
  t.true(await store.annotate(key, { sha256: second.sha256, producer: 'peerC', signature: 'cHJvb2ZD' }))
  t.like(await store.head(key), { producer: 'peerC', signature: 'cHJvb2ZD' })
  t.false(await store.annotate(newKey(), { sha256: second.sha256, producer: 'peerC', signature: 'cHJvb2ZD' }), 'an unknown key')
})

test('a body its caller hashed (bodyHashed) is taken under the SHA-256 it names without hashing it again; reads still verify it, and a streamed body is still hashed', async t => {
  const store = await openStore(t)
  const bytes = randomBytes(4096)
  const key = newKey()
  t.like(await store.put(key, bytes, { expectedSha256: sha256(bytes), bodyHashed: true }), { sha256: sha256(bytes), size: 4096 })
  t.deepEqual(Buffer.from((await store.get(key))!.bytes!), bytes)
  // a caller's wrong claim is not caught at the put, which trusts it: a small blob is hashed on every read, and refused there
  const claimed = sha256(randomBytes(8))
  const lied = newKey()
  t.like(await store.put(lied, randomBytes(4096), { expectedSha256: claimed, bodyHashed: true }), { sha256: claimed })
  t.is(await store.get(lied), undefined, 'verify-on-read refuses it')
  t.like(store.stats(), { quarantined: 1 })
  await t.throwsAsync(store.put(newKey(), chunks([randomBytes(1000), randomBytes(3096)]), { expectedSha256: claimed, bodyHashed: true }), { instanceOf: IntegrityError })
})

// put() took the SHA-256 a content key names as the caller's hash: bytes put under `sha256:<hex>` with bodyHashed were
// stored unhashed under a name they do not hash to.
test('bodyHashed without the caller\'s own expectedSha256 is ignored: a content key still hashes its bytes', async t => {
  const store = await openStore(t)
  const claimed = sha256(randomBytes(8))
  await t.throwsAsync(store.put(contentKey(claimed), randomBytes(4096), { bodyHashed: true }), { instanceOf: IntegrityError })
  t.is(await store.head(contentKey(claimed)), undefined, 'nothing stored')
  const bytes = randomBytes(4096)
  t.like(await store.put(contentKey(sha256(bytes)), bytes, { bodyHashed: true }), { sha256: sha256(bytes), size: 4096 })
})

test('getNow answers a small intact entry at once, counted as a hit, and leaves misses, big and corrupt blobs to get()', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const [small, big, corrupt] = [randomBytes(5 * 1024), randomBytes(100 * 1024), randomBytes(5 * 1024)]
  const keys = { small: newKey(), big: newKey(), corrupt: newKey() }
  await store.put(keys.small, small)
  await store.put(keys.big, big)
  await store.put(keys.corrupt, corrupt)
  t.deepEqual(store.getNow(keys.small), small)
  t.deepEqual(store.getNow(keys.small), small, 'again, from the kept copy')
  t.is(store.getNow(newKey()), undefined)
  t.is(store.getNow(keys.big), undefined, 'over the blocking-read size: get() streams it')
  await flipByte(blobPath(dir, corrupt), 100)
  t.is(store.getNow(keys.corrupt), undefined)
  t.like(store.stats(), { hits: 2, misses: 0, quarantined: 0 }, 'what getNow does not answer it neither counts nor repairs')
  t.is(await store.get(keys.corrupt), undefined)
  t.like(store.stats(), { hits: 2, misses: 1, quarantined: 1 })
  await store.close()
  t.is(store.getNow(keys.small), undefined, 'a closed store answers nothing at once')
})
