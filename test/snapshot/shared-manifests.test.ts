import test, { type ExecutionContext } from 'ava'
import { contentKey } from '../../src/cas/keys.js'
import type { ContentStore } from '../../src/cas/index.js'
import { createSnapshot, pinSnapshot, SharedManifests, type FetchBlob, type Snapshot } from '../../src/snapshot/index.js'
import { countingReads, fetcherOf, openStore, tempDir, writeTree } from './helpers.js'

/** A submitter's snapshot of a small project (`name` tells snapshots apart), pinned until the test ends. */
async function snapshotOf (t: ExecutionContext, submitter: ContentStore, name: string): Promise<Snapshot> {
  const project = await tempDir(t)
  await writeTree(project, { 'settings.gradle': `rootProject.name = "${name}"\n`, 'src/A.java': 'class A {}\n' })
  const snapshot = await createSnapshot(project, submitter)
  t.teardown(pinSnapshot(submitter, snapshot.id, snapshot.manifest))
  return snapshot
}

/** A FetchBlob that waits until `fail` (once it was asked) rejects it. */
function goneSubmitter (): { gone: FetchBlob, fail: (err: Error) => Promise<void> } {
  let reject = (_err: Error): void => {}
  let asked = (): void => {}
  const called = new Promise<void>(resolve => { asked = resolve })
  const gone: FetchBlob = async () => await new Promise((_resolve, rejectFetch) => {
    reject = rejectFetch
    asked()
  })
  return { gone, fail: async err => { await called; reject(err) } }
}

test('units of one snapshot starting together fetch its manifest once, read and decode it once, and share one frozen manifest', async t => {
  const submitter = await openStore(t)
  const snapshot = await snapshotOf(t, submitter, 'x')
  const { store, reads } = countingReads(await openStore(t))
  const { fetchBlob, asked } = fetcherOf(submitter)
  const manifests = new SharedManifests()

  const held = await Promise.all(Array.from({ length: 4 }, async () => await manifests.acquire(snapshot.id, store, fetchBlob)))
  t.deepEqual(asked, [snapshot.id])
  t.is(reads.get(contentKey(snapshot.id)), 1)
  t.deepEqual(held[0]!.manifest, snapshot.manifest)
  t.true(Object.isFrozen(held[0]!.manifest) && Object.isFrozen(held[0]!.manifest.entries))
  for (const { manifest } of held) t.is(manifest, held[0]!.manifest)
  for (const { release } of held) release()
  t.is(manifests.size, 1, 'the last one let go is kept for a while')
})

test('a manifest let go is kept for the next unit; another snapshot let go drops it', async t => {
  const submitter = await openStore(t)
  const first = await snapshotOf(t, submitter, 'x')
  const second = await snapshotOf(t, submitter, 'y')
  const { store, reads } = countingReads(await openStore(t))
  const { fetchBlob } = fetcherOf(submitter)
  const manifests = new SharedManifests({ keepIdle: 1 })

  const one = await manifests.acquire(first.id, store, fetchBlob)
  one.release()
  one.release()
  const again = await manifests.acquire(first.id, store, fetchBlob)
  t.is(again.manifest, one.manifest)
  t.is(reads.get(contentKey(first.id)), 1)
  again.release()

  const other = await manifests.acquire(second.id, store, fetchBlob)
  other.release()
  t.is(manifests.size, 1)
  const decodedAgain = await manifests.acquire(first.id, store, fetchBlob)
  t.is(reads.get(contentKey(first.id)), 2, 'dropped: read and decoded again')
  t.deepEqual(decodedAgain.manifest, first.manifest)
  decodedAgain.release()
})

test('a unit that stops waiting leaves the others their manifest; once none waits the fetch is ended and nothing kept', async t => {
  const { store } = countingReads(await openStore(t))
  let fetchSignal: AbortSignal | undefined
  let called = (): void => {}
  const fetching = new Promise<void>(resolve => { called = resolve })
  const fetchBlob: FetchBlob = async (_sha256, options) => {
    fetchSignal = options.signal
    called()
    return await new Promise((_resolve, reject) => { options.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }) })
  }
  const manifests = new SharedManifests()
  const id = 'ab'.repeat(32)
  const first = new AbortController()
  const second = new AbortController()
  const waits = [manifests.acquire(id, store, fetchBlob, { signal: first.signal }), manifests.acquire(id, store, fetchBlob, { signal: second.signal })]
  await fetching
  first.abort(new Error('unit 1 cancelled'))
  await t.throwsAsync(waits[0]!, { message: 'unit 1 cancelled' })
  t.is(manifests.size, 1)
  t.false(fetchSignal?.aborted ?? true, 'the other unit still waits for the fetch')
  second.abort(new Error('unit 2 cancelled'))
  await t.throwsAsync(waits[1]!, { message: 'unit 2 cancelled' })
  t.true(fetchSignal?.aborted)
  t.is(manifests.size, 0)
})

test('a manifest that could not be fetched is not kept: the next unit fetches it again', async t => {
  const submitter = await openStore(t)
  const snapshot = await snapshotOf(t, submitter, 'x')
  const { store } = countingReads(await openStore(t))
  const { fetchBlob, asked } = fetcherOf(submitter)
  let fail = true
  const flaky: FetchBlob = async (sha256, options) => {
    if (fail) throw new Error('the submitter answered missing')
    return await fetchBlob(sha256, options)
  }
  const manifests = new SharedManifests()
  await t.throwsAsync(manifests.acquire(snapshot.id, store, flaky), { message: 'the submitter answered missing' })
  t.is(manifests.size, 0)
  fail = false
  const { manifest, release } = await manifests.acquire(snapshot.id, store, flaky)
  t.deepEqual(manifest, snapshot.manifest)
  t.deepEqual(asked, [snapshot.id])
  release()
})

test('a unit whose shared fetch failed with another submitter asks its own submitter; one from the same submitter gets the error', async t => {
  const submitter = await openStore(t)
  const snapshot = await snapshotOf(t, submitter, 'x')
  const { store } = countingReads(await openStore(t))
  const own = fetcherOf(submitter)
  const { gone, fail } = goneSubmitter()
  const manifests = new SharedManifests()

  const jobA = manifests.acquire(snapshot.id, store, gone, { from: 'submitter-a' })
  const jobAAgain = manifests.acquire(snapshot.id, store, async (sha256, options) => await gone(sha256, options), { from: 'submitter-a' })
  const jobB = manifests.acquire(snapshot.id, store, own.fetchBlob, { from: 'submitter-b' })
  await fail(new Error('submitter-a is gone'))
  await t.throwsAsync(jobA, { message: 'submitter-a is gone' })
  await t.throwsAsync(jobAAgain, { message: 'submitter-a is gone' })
  const { manifest, release } = await jobB
  t.deepEqual(manifest, snapshot.manifest)
  t.deepEqual(own.asked, [snapshot.id], 'job B\'s own submitter was asked once')
  release()
  t.is(manifests.size, 1)
})

test('without `from`, a unit with another fetchBlob than the failed shared fetch\'s asks its own', async t => {
  const submitter = await openStore(t)
  const snapshot = await snapshotOf(t, submitter, 'x')
  const { store } = countingReads(await openStore(t))
  const own = fetcherOf(submitter)
  const { gone, fail } = goneSubmitter()
  const manifests = new SharedManifests()

  const first = manifests.acquire(snapshot.id, store, gone)
  const second = manifests.acquire(snapshot.id, store, own.fetchBlob, { signal: new AbortController().signal })
  await fail(new Error('the first submitter is gone'))
  await t.throwsAsync(first, { message: 'the first submitter is gone' })
  const { manifest, release } = await second
  t.deepEqual(manifest, snapshot.manifest)
  t.deepEqual(own.asked, [snapshot.id])
  release()
})

test('clear() drops the manifests kept idle at once; one still held is the holder\'s until let go, and not kept after', async t => {
  const submitter = await openStore(t)
  const kept = await snapshotOf(t, submitter, 'x')
  const held = await snapshotOf(t, submitter, 'y')
  const { store, reads } = countingReads(await openStore(t))
  const { fetchBlob } = fetcherOf(submitter)
  const manifests = new SharedManifests({ keepIdle: 1, idleMs: 3_600_000 })

  ;(await manifests.acquire(kept.id, store, fetchBlob)).release()
  const holding = await manifests.acquire(held.id, store, fetchBlob)
  t.is(manifests.size, 2)
  manifests.clear()
  t.is(manifests.size, 0)
  t.deepEqual(holding.manifest, held.manifest, 'the holder keeps its manifest')
  holding.release()
  t.is(manifests.size, 0, 'not kept idle once let go')
  const again = await manifests.acquire(kept.id, store, fetchBlob)
  t.is(reads.get(contentKey(kept.id)), 2, 'the next unit reads and decodes it again')
  again.release()
})
