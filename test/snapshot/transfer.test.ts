import test from 'ava'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { IntegrityError, SizeMismatchError, TooLargeError } from '../../src/cas/index.js'
import {
  createSnapshot, decodeManifest, encodeManifest, fetchManifest, fetchMissing, holdsBlob, InvalidManifestError, loadManifest,
  MAX_MANIFEST_BYTES, missingBlobs, pinSnapshot, SnapshotTooLargeError, storeBlob, UnsafePathError, type FetchBlob
} from '../../src/snapshot/index.js'
import { fetcherOf, openStore, tempDir, writeTree } from './helpers.js'

test('incremental transfer between two stores moves only the blobs the worker lacks', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a.txt': 'alpha', 'b.txt': 'beta', 'c/d.txt': 'delta', 'c/same.txt': 'alpha', 'big.bin': Buffer.alloc(3 * 1024 * 1024, 7) })
  const submitter = await openStore(t)
  const worker = await openStore(t)
  const first = await createSnapshot(project, submitter)
  const release = pinSnapshot(submitter, first.id, first.manifest)
  t.teardown(release)

  const { fetchBlob, asked } = fetcherOf(submitter)
  const manifest = await fetchManifest(first.id, worker, fetchBlob)
  t.deepEqual(manifest, first.manifest)
  t.deepEqual(asked, [first.id])
  const distinct = new Set(first.manifest.entries.flatMap(e => e.type === 'file' ? [e.sha256] : []))
  t.deepEqual(await missingBlobs(manifest, worker), [...distinct].sort())
  const cold = await fetchMissing(manifest, worker, fetchBlob)
  t.deepEqual(cold, { fetched: distinct.size, bytes: 5 + 4 + 5 + 3 * 1024 * 1024, present: 0 })
  t.deepEqual(await missingBlobs(manifest, worker), [])

  // one edit on the submitter: the worker fetches the new manifest and that one file only
  await writeFile(path.join(project, 'b.txt'), 'beta, edited')
  const second = await createSnapshot(project, submitter)
  asked.length = 0
  const next = await fetchManifest(second.id, worker, fetchBlob)
  const warm = await fetchMissing(next, worker, fetchBlob)
  t.deepEqual(warm, { fetched: 1, bytes: Buffer.byteLength('beta, edited'), present: distinct.size - 1 })
  const edited = second.manifest.entries.find(e => e.path === 'b.txt')
  t.deepEqual(asked, [second.id, edited?.type === 'file' ? edited.sha256 : ''])
})

test('a worker refuses a snapshot bigger than half its cache budget before it fetches any file', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a.bin': Buffer.alloc(400 * 1024, 1), 'b.bin': Buffer.alloc(400 * 1024, 2) })
  const submitter = await openStore(t)
  const worker = await openStore(t, undefined, 1024 * 1024)
  const snapshot = await createSnapshot(project, submitter)
  t.teardown(pinSnapshot(submitter, snapshot.id, snapshot.manifest))
  const { fetchBlob, asked } = fetcherOf(submitter)
  const manifest = await fetchManifest(snapshot.id, worker, fetchBlob)
  await t.throwsAsync(fetchMissing(manifest, worker, fetchBlob), { instanceOf: SnapshotTooLargeError, message: /800\.0 KiB|0\.8 MiB/ })
  t.deepEqual(asked, [snapshot.id], 'only the manifest was fetched')
})

test('a submitter serving wrong bytes or a wrong size stores nothing on the worker', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a.txt': 'alpha', 'b.txt': 'beta' })
  const submitter = await openStore(t)
  const worker = await openStore(t)
  const { id, manifest } = await createSnapshot(project, submitter)
  const honest = fetcherOf(submitter).fetchBlob
  await fetchManifest(id, worker, honest)
  const lying: FetchBlob = async (sha256, options) => sha256 === id ? await honest(sha256, {}) : Buffer.alloc(options.size ?? 0, 'x')
  await t.throwsAsync(fetchMissing(manifest, worker, lying), { instanceOf: IntegrityError })
  const short: FetchBlob = async () => Buffer.from('al')
  await t.throwsAsync(fetchMissing(manifest, worker, short), { instanceOf: SizeMismatchError })
  t.is((await missingBlobs(manifest, worker)).length, 2, 'nothing was stored')
  const wrongManifest: FetchBlob = async () => Buffer.from('{}')
  await t.throwsAsync(fetchManifest('0'.repeat(64), worker, wrongManifest), { instanceOf: IntegrityError })
})

test('manifests read back are size-limited, hash-checked, schema-checked and canonical', async t => {
  const { id, bytes } = encodeManifest([
    { path: 'b', type: 'file', size: 1, sha256: 'b'.repeat(64), executable: false },
    { path: 'a', type: 'link', target: 'b' }
  ])
  t.is(decodeManifest(bytes, { expectedId: id }).entries[0]?.path, 'a', 'entries are sorted')
  t.throws(() => decodeManifest(bytes, { expectedId: 'f'.repeat(64) }), { instanceOf: InvalidManifestError, message: /hash/ })
  t.throws(() => decodeManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1)), { instanceOf: InvalidManifestError, message: /over the limit/ })
  t.throws(() => decodeManifest(Buffer.from('not json')), { instanceOf: InvalidManifestError, message: /not JSON/ })
  const json = JSON.parse(Buffer.from(bytes).toString()) as { version: number, entries: Array<Record<string, unknown>> }
  t.throws(() => decodeManifest(Buffer.from(JSON.stringify({ ...json, version: 2 }))), { instanceOf: InvalidManifestError, message: /version/ })
  t.throws(() => decodeManifest(Buffer.from(JSON.stringify(json, null, 2))), { instanceOf: InvalidManifestError, message: /canonical/ })
  json.entries[1]!.extra = true
  t.throws(() => decodeManifest(Buffer.from(JSON.stringify(json))), { instanceOf: InvalidManifestError })
  const traversal = encodeManifest([{ path: '../evil', type: 'file', size: 1, sha256: 'b'.repeat(64), executable: false }])
  t.throws(() => decodeManifest(traversal.bytes), { instanceOf: UnsafePathError })

  // a blob that is in the store but is no manifest is refused by loadManifest, not half-read
  const store = await openStore(t)
  const junk = Buffer.from('[1,2,3]')
  const junkId = (await storeBlob(store, encodeManifest([]).id, encodeManifest([]).bytes)).sha256
  t.deepEqual((await loadManifest(junkId, store)).entries, [])
  await t.throwsAsync(fetchManifest('a'.repeat(64), store, async () => junk), { instanceOf: IntegrityError })
  await t.throwsAsync(fetchManifest('a'.repeat(64), store, async () => (async function * () { yield new Uint8Array(MAX_MANIFEST_BYTES + 1) })()), { instanceOf: TooLargeError })
})

test('a manifest read back is frozen: what was checked is what gets materialised, so it is not checked again', t => {
  const { bytes } = encodeManifest([{ path: 'a', type: 'link', target: 'b' }, { path: 'b', type: 'file', size: 1, sha256: 'b'.repeat(64), executable: false }])
  const manifest = decodeManifest(bytes)
  t.throws(() => { manifest.entries.push({ path: 'c', type: 'link', target: '..' }) }, { instanceOf: TypeError })
  t.throws(() => { (manifest.entries[0] as { target: string }).target = '/etc' }, { instanceOf: TypeError })
  t.deepEqual(manifest.entries.map(entry => entry.path), ['a', 'b'])
})

test('a cache entry that a Gradle PUT left under a blob\'s SHA-256 does not stand for the blob: the blob is fetched and stored beside it', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'gradlew': '#!/bin/sh\necho hi\n', 'a.txt': 'alpha' })
  const submitter = await openStore(t)
  const worker = await openStore(t)
  const wrapperSha = createHash('sha256').update('#!/bin/sh\necho hi\n').digest('hex')
  // a build's own PUT to /cache/<that hash> on both machines, with other bytes
  for (const store of [submitter, worker]) await store.put(wrapperSha, Buffer.from('not the wrapper'))
  const snapshot = await createSnapshot(project, submitter)
  t.teardown(pinSnapshot(submitter, snapshot.id, snapshot.manifest))
  t.true(await holdsBlob(submitter, wrapperSha), 'the submitter stored the real file')
  const { fetchBlob } = fetcherOf(submitter)
  const manifest = await fetchManifest(snapshot.id, worker, fetchBlob)
  t.true((await missingBlobs(manifest, worker)).includes(wrapperSha))
  await fetchMissing(manifest, worker, fetchBlob)
  t.true(await holdsBlob(worker, wrapperSha))
  for (const store of [submitter, worker]) t.deepEqual(Buffer.from((await store.get(wrapperSha))!.bytes!), Buffer.from('not the wrapper'), 'the build\'s entry is still there')
})

test('units starting together on one worker fetch each blob once; one whose fetch fails leaves the others to fetch it', async t => {
  const project = await tempDir(t)
  await writeTree(project, Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, `content ${i}`])))
  const submitter = await openStore(t)
  const worker = await openStore(t)
  const snapshot = await createSnapshot(project, submitter)
  t.teardown(pinSnapshot(submitter, snapshot.id, snapshot.manifest))
  const { fetchBlob, asked } = fetcherOf(submitter)
  const manifest = await fetchManifest(snapshot.id, worker, fetchBlob)
  asked.length = 0
  const shared = new Map<string, Promise<void>>()
  const results = await Promise.all([1, 2, 3, 4].map(async () => await fetchMissing(manifest, worker, fetchBlob, { shared })))
  t.is(asked.length, 12, 'each of the 12 blobs fetched once for the four units')
  t.is(results.reduce((n, r) => n + r.fetched, 0), 12)
  t.deepEqual(await missingBlobs(manifest, worker), [])
  t.is(shared.size, 0, 'nothing left in flight')

  const other = await openStore(t)
  await fetchManifest(snapshot.id, other, fetchBlob)
  const unreachable: FetchBlob = async () => { await Promise.resolve(); throw new Error('submitter unreachable from this unit') }
  const [first, second] = await Promise.allSettled([
    fetchMissing(manifest, other, unreachable, { shared }),
    fetchMissing(manifest, other, fetchBlob, { shared }) // waits on the first one's fetches, which fail
  ])
  t.is(first.status, 'rejected')
  t.like(second, { status: 'fulfilled', value: { fetched: 12 } })
})

test('a unit that waited for another job\'s blob fetch from a submitter that is gone fetches the blob from its own', async t => {
  const project = await tempDir(t)
  await writeTree(project, { 'a.txt': 'alpha' })
  const submitter = await openStore(t)
  const worker = await openStore(t)
  const snapshot = await createSnapshot(project, submitter)
  t.teardown(pinSnapshot(submitter, snapshot.id, snapshot.manifest))
  const { fetchBlob, asked } = fetcherOf(submitter)
  const manifest = await fetchManifest(snapshot.id, worker, fetchBlob)
  asked.length = 0
  let goneAsked = (): void => {}
  const askedGone = new Promise<void>(resolve => { goneAsked = resolve })
  let fail = (_err: Error): void => {}
  const gone: FetchBlob = async () => await new Promise((_resolve, reject) => { fail = reject; goneAsked() })
  let joined = (): void => {}
  const waiting = new Promise<void>(resolve => { joined = resolve })
  // tells when a second unit finds the first one's fetch in flight
  const shared = new class extends Map<string, Promise<void>> {
    override get (key: string): Promise<void> | undefined {
      const found = super.get(key)
      if (found !== undefined) joined()
      return found
    }
  }()
  const first = fetchMissing(manifest, worker, gone, { shared })
  await askedGone
  const second = fetchMissing(manifest, worker, fetchBlob, { shared })
  await waiting
  fail(new Error('the submitter is gone'))
  await t.throwsAsync(first, { message: 'the submitter is gone' })
  t.like(await second, { fetched: 1 })
  t.is(asked.length, 1, 'its own submitter was asked')
  t.deepEqual(await missingBlobs(manifest, worker), [])
})

test('a cancelled unit waiting for another unit\'s fetch of the same blob stops waiting at once, while that fetch goes on', async t => {
  t.timeout(5000, 'the cancelled unit still waits for the other unit\'s fetch')
  const project = await tempDir(t)
  await writeTree(project, { 'a.txt': 'alpha' })
  const submitter = await openStore(t)
  const worker = await openStore(t)
  const snapshot = await createSnapshot(project, submitter)
  t.teardown(pinSnapshot(submitter, snapshot.id, snapshot.manifest))
  const { fetchBlob } = fetcherOf(submitter)
  const manifest = await fetchManifest(snapshot.id, worker, fetchBlob)
  let firstAsked = (): void => {}
  const askedFirst = new Promise<void>(resolve => { firstAsked = resolve })
  let answer = (): void => {}
  const slow: FetchBlob = async (sha256, options) => {
    const answered = new Promise<void>(resolve => { answer = resolve })
    firstAsked()
    await answered
    return await fetchBlob(sha256, options)
  }
  let joined = (): void => {}
  const waiting = new Promise<void>(resolve => { joined = resolve })
  // tells when the second unit finds the first one's fetch in flight
  const shared = new class extends Map<string, Promise<void>> {
    override get (key: string): Promise<void> | undefined {
      const found = super.get(key)
      if (found !== undefined) joined()
      return found
    }
  }()
  const first = fetchMissing(manifest, worker, slow, { shared })
  let firstSettled = false
  first.then(() => { firstSettled = true }, () => { firstSettled = true })
  await askedFirst
  const cancel = new AbortController()
  const second = fetchMissing(manifest, worker, fetchBlob, { shared, signal: cancel.signal })
  await waiting
  cancel.abort()
  await t.throwsAsync(second, { name: 'AbortError' })
  t.false(firstSettled, 'the first unit\'s fetch is still in flight')
  answer()
  t.like(await first, { fetched: 1 })
  t.deepEqual(await missingBlobs(manifest, worker), [])
})
