import test from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { AbortError, BodyError, IntegrityError, SizeMismatchError, TooLargeError } from '../../src/cas/index.js'
import { chunks, listFiles, newKey, openStore, sha256, tempDir } from './helpers.js'

/** More than the store buffers in memory before it creates the temp file: failures past it must remove a file. */
const ON_DISK = 300 * 1024

/** Asserts the store holds nothing: no entry, no blob, no temp file. */
async function assertNothingStored (t: import('ava').ExecutionContext, dir: string, store: import('../../src/cas/index.js').ContentStore, key: string): Promise<void> {
  t.is(await store.head(key), undefined)
  t.like(store.stats(), { entries: 0, bytes: 0, puts: 0 })
  t.deepEqual((await listFiles(dir)).filter(f => !f.startsWith('index/')), [])
}

test('a body over maxSize is refused with TooLargeError and leaves nothing behind', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const error = await t.throwsAsync(store.put(key, chunks([randomBytes(ON_DISK), randomBytes(ON_DISK)]), { maxSize: ON_DISK + 1000 }), { instanceOf: TooLargeError })
  t.is(error?.code, 'ERR_CAS_TOO_LARGE')
  await t.throwsAsync(store.put(key, randomBytes(1001), { maxSize: 1000 }), { instanceOf: TooLargeError })
  await assertNothingStored(t, dir, store, key)
})

test('bytes that do not match expectedSha256 are refused with IntegrityError and leave nothing behind', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const bytes = randomBytes(2048)
  const wrong = sha256(randomBytes(1))
  const error = await t.throwsAsync(store.put(key, chunks([bytes]), { expectedSha256: wrong }), { instanceOf: IntegrityError })
  t.is(error?.code, 'ERR_CAS_INTEGRITY')
  t.is(error?.actual, sha256(bytes))
  await assertNothingStored(t, dir, store, key)
  const meta = await store.put(key, bytes, { expectedSha256: sha256(bytes) })
  t.is(meta.sha256, sha256(bytes))
})

test('aborting a put while the body stalls stops it at once and leaves nothing behind', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const controller = new AbortController()
  let reads = 0
  // gives one chunk, then stalls (as a client that stops sending) and the caller aborts
  const body = new Readable({
    read () {
      if (reads++ === 0) this.push(randomBytes(ON_DISK))
      else controller.abort(new Error('client went away'))
    }
  })
  const put = store.put(key, body, { signal: controller.signal })
  await t.throwsAsync(put, { instanceOf: AbortError, code: 'ABORT_ERR' } as any)
  t.true(body.destroyed)
  await assertNothingStored(t, dir, store, key)
})

test('an already aborted signal stores nothing', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  await t.throwsAsync(store.put(key, randomBytes(10), { signal: AbortSignal.abort() }), { instanceOf: AbortError })
  await assertNothingStored(t, dir, store, key)
})

test('a body stream that errors midway stores nothing', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const error = await t.throwsAsync(store.put(key, chunks([randomBytes(ON_DISK)], new Error('socket hang up'))), { instanceOf: BodyError })
  t.regex(error?.message ?? '', /socket hang up/)
  await assertNothingStored(t, dir, store, key)
})

test('a body that ends before expectedSize (a truncated upload) stores nothing', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const error = await t.throwsAsync(store.put(key, chunks([randomBytes(ON_DISK)]), { expectedSize: ON_DISK + 5000 }), { instanceOf: SizeMismatchError })
  t.like(error, { expected: ON_DISK + 5000, actual: ON_DISK })
  await t.throwsAsync(store.put(key, chunks([randomBytes(3000), randomBytes(3000)]), { expectedSize: 5000 }), { instanceOf: SizeMismatchError })
  await assertNothingStored(t, dir, store, key)
})

test('a Node stream destroyed with an error midway stores nothing', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  let reads = 0
  const body = new Readable({
    read () {
      if (reads++ === 0) this.push(randomBytes(ON_DISK))
      else this.destroy(new Error('aborted'))
    }
  })
  await t.throwsAsync(store.put(key, body), { instanceOf: BodyError })
  await assertNothingStored(t, dir, store, key)
})

test('a Readable body refused past maxSize is left undestroyed, so an HTTP server can drain it', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const body = Readable.from([randomBytes(800), randomBytes(800), randomBytes(800)])
  await t.throwsAsync(store.put(key, body, { maxSize: 1000 }), { instanceOf: TooLargeError })
  t.false(body.destroyed)
  let drained = 0
  for await (const chunk of body) drained += (chunk as Buffer).length
  t.is(drained, 800, 'the chunk the store had not read yet is still there')
  await assertNothingStored(t, dir, store, key)
})

test('a put whose blob cannot be moved into place fails and leaves no temp file behind', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(4096)
  await mkdir(join(dir, 'blobs'), { recursive: true })
  await writeFile(join(dir, 'blobs', sha256(bytes).slice(0, 2)), 'a file where the shard directory should be')
  const key = newKey()
  await t.throwsAsync(store.put(key, bytes))
  t.is(await store.head(key), undefined)
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('tmp/')), [], 'the temp file went with the failure')
})

test('a durable put of bytes whose kept blob file has gone puts its own copy in place, so both keys are served', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(4096)
  const fetched = newKey()
  await store.put(fetched, bytes, { durable: false }) // as a peer fetch stores it
  await rm(join(dir, 'blobs', sha256(bytes).slice(0, 2), sha256(bytes)))
  const built = newKey()
  await store.put(built, bytes)
  for (const key of [fetched, built]) t.deepEqual(Buffer.from((await store.get(key))!.bytes!), bytes)
})
