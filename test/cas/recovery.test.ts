import test from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ContentStore } from '../../src/cas/index.js'
import { blobFile, listFiles, newKey, openStore, readAll, sha256, tempDir } from './helpers.js'

test('entries, producer and signature survive a clean restart', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir })
  const key = newKey()
  const bytes = randomBytes(777)
  const meta = await first.put(key, bytes, { producer: '12D3KooWpeer', signature: 'c2ln' })
  await first.close()
  const second = await openStore(t, { dir })
  t.deepEqual(await second.head(key), meta)
  t.deepEqual(await readAll((await second.get(key))!.body), bytes)
  t.deepEqual(second.recovery, { tempFilesRemoved: 0, orphanBlobsRemoved: 0, entriesDropped: 0, blobsQuarantined: 0 })
})

test('start-up recovery removes temp files and orphan blobs and drops entries whose blob is missing or the wrong size', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir })
  const [kept, missing, shrunk] = [randomBytes(100), randomBytes(200), randomBytes(300)]
  const keys = { kept: newKey(), missing: newKey(), shrunk: newKey() }
  await first.put(keys.kept, kept)
  await first.put(keys.missing, missing)
  await first.put(keys.shrunk, shrunk)
  await first.close()

  await writeFile(join(dir, 'tmp', 'half-written.tmp'), randomBytes(50))
  const orphan = randomBytes(64)
  await mkdir(join(dir, 'blobs', sha256(orphan).slice(0, 2)), { recursive: true })
  await writeFile(join(dir, blobFile(orphan)), orphan)
  await writeFile(join(dir, 'blobs', 'stray-file'), 'x')
  await rm(join(dir, blobFile(missing)))
  await writeFile(join(dir, blobFile(shrunk)), shrunk.subarray(0, 10))

  const logged: Array<{ obj: object, msg?: string }> = []
  const logger = { info: (obj: object, msg?: string) => { logged.push({ obj, msg }) }, warn: () => {} }
  const second = await ContentStore.open({ dir, maxBytes: 1 << 20, logger })
  t.teardown(async () => { await second.close() })
  t.deepEqual(second.recovery, { tempFilesRemoved: 1, orphanBlobsRemoved: 2, entriesDropped: 2, blobsQuarantined: 1 })
  t.like(logged.find(l => l.msg === 'cas: store opened')?.obj, { tempFilesRemoved: 1, orphanBlobsRemoved: 2, entriesDropped: 2 })
  t.deepEqual((await second.get(keys.kept))?.bytes, kept)
  t.is(await second.head(keys.missing), undefined)
  t.is(await second.head(keys.shrunk), undefined)
  t.like(second.stats(), { entries: 1, bytes: 100 })
  const files = (await listFiles(dir)).filter(f => !f.startsWith('index/'))
  t.deepEqual(files.filter(f => !f.startsWith('quarantine/')), [blobFile(kept)])
  t.is(files.filter(f => f.startsWith('quarantine/')).length, 1)

  await second.close()
  const third = await openStore(t, { dir })
  t.deepEqual(third.recovery, { tempFilesRemoved: 0, orphanBlobsRemoved: 0, entriesDropped: 0, blobsQuarantined: 0 }, 'the drops were written to the index')
})

test('a closed store refuses calls with StoreClosedError', async t => {
  const store = await openStore(t)
  await store.close()
  await t.throwsAsync(store.get(newKey()), { code: 'ERR_CAS_CLOSED' } as any)
  await t.throwsAsync(store.put(newKey(), new Uint8Array(1)), { code: 'ERR_CAS_CLOSED' } as any)
  await store.close()
})

test('close() stops a put whose body stalls, stores nothing of it, and lets finished puts stand', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const done = newKey()
  await store.put(done, randomBytes(10))
  let started!: () => void
  const reading = new Promise<void>(resolve => { started = resolve })
  async function * stalled (): AsyncGenerator<Uint8Array> {
    yield randomBytes(100)
    started()
    await new Promise(() => {})
  }
  const put = store.put(newKey(), stalled())
  await reading
  await store.close()
  await t.throwsAsync(put, { code: 'ERR_CAS_CLOSED' } as any)
  t.deepEqual(await listFiles(join(dir, 'tmp')), [])
  const reopened = await openStore(t, { dir })
  t.like(reopened.stats(), { entries: 1 })
  t.truthy(await reopened.head(done))
})

test('malformed index records are dropped at start-up', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir })
  const key = newKey()
  await first.put(key, randomBytes(10))
  await first.close()
  const { Level } = await import('level')
  const db = new Level<string, unknown>(join(dir, 'index'), { valueEncoding: 'json' })
  await db.put(`e!${newKey()}`, { sha256: 'not-a-hash', size: 1, lastAccess: 0 })
  await db.put('e!NOT-A-KEY', { sha256: sha256(new Uint8Array(0)), size: 0, lastAccess: 0 })
  await db.close()
  const second = await openStore(t, { dir })
  t.is(second.recovery.entriesDropped, 2)
  t.like(second.stats(), { entries: 1 })
  t.truthy(await second.head(key))
})

test('a second open of a store in use fails with StoreLockedError and touches nothing', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir })
  const key = newKey()
  let release!: () => void
  const held = new Promise<void>(resolve => { release = resolve })
  async function * body (): AsyncGenerator<Uint8Array> {
    yield randomBytes(10)
    await held
  }
  const put = first.put(key, body())
  await t.throwsAsync(ContentStore.open({ dir, maxBytes: 1000 }), { code: 'ERR_CAS_LOCKED' } as any)
  release()
  await put
  t.truthy(await first.head(key), 'the put in flight (with its temp file) was not disturbed')
})
