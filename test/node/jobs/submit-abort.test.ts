import test from 'ava'
import { JobsHost, SubmitterGoneError } from '../../../node/jobs/jobs-host.js'
import { JobIdTakenError } from '../../../node/jobs/pending-submissions.js'
import type { MeshLibp2p, TopicGuard } from '../../../node/libp2p/index.js'
import type { MembershipView } from '../../../protocols/membership/index.js'
import type { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { openStore, tempDir, writeTree } from '../../snapshot/helpers.js'

const SELF = '12D3KooWSubmitterSubmitter0001'

/** A store that runs `onUnpin` when a blob is unpinned: createSnapshot unpins last, just before it returns. */
function storeUnpinning (store: ContentStore, onUnpin: () => void): ContentStore {
  return new Proxy(store, {
    get (target, prop) {
      if (prop === 'unpin') return (sha256: string) => { onUnpin(); target.unpin(sha256) }
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
}

/** A jobs host that is never started: no libp2p traffic, only `submit` and what it tracks. */
function unstartedHost (store: ContentStore, workDir: string): JobsHost {
  const view = { self: SELF, liveCount: 1, aliveCount: 1, aliveDigest: 0, get: () => undefined, isLive: () => true, liveMembers: () => [], members: () => [], busiest: () => [] }
  return new JobsHost({
    libp2p: {} as unknown as MeshLibp2p,
    guard: {} as unknown as TopicGuard,
    sign: () => new Uint8Array(64),
    view: view as unknown as MembershipView,
    store,
    logger: silentLogger()
  }, { self: SELF, slots: 1, workDir, cacheUrl: () => 'http://127.0.0.1:1/cache/' })
}

const request = (projectDir: string): Parameters<JobsHost['submit']>[0] => ({
  projectDir,
  requested: ['build'],
  units: [{ id: 'a', name: ':a', project: ':a', tasks: [':a:build'], run: [':a:build'], exclude: [], testFilters: [], dependsOn: [] }]
})

test('a submitter whose request closed as the snapshot was finished gets no job started: it could never cancel it', async t => {
  const project = await tempDir(t, 'gmesh-submit-abort-')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "a"\n', 'a/src/A.java': 'class A {}\n' })
  const request$ = new AbortController()
  // the client's Ctrl-C closes the request after the snapshot's last check of the signal
  const store = storeUnpinning(await openStore(t), () => { request$.abort() })
  const host = unstartedHost(store, await tempDir(t, 'gmesh-submit-abort-work-'))

  await t.throwsAsync(host.submit(request(project), request$.signal), { instanceOf: SubmitterGoneError })
  t.deepEqual(host.list(), [], 'no job is tracked as running')
})

test('a submitter still waiting gets its job', async t => {
  const project = await tempDir(t, 'gmesh-submit-ok-')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "a"\n', 'a/src/A.java': 'class A {}\n' })
  const host = unstartedHost(await openStore(t), await tempDir(t, 'gmesh-submit-ok-work-'))

  const { jobId } = await host.submit(request(project), new AbortController().signal)
  t.deepEqual(host.list().map(job => [job.id, job.state]), [[jobId, 'running']])
})

test('a cancel that comes while the snapshot is taken stops the submission under the client\'s job id: no job starts', async t => {
  const project = await tempDir(t, 'gmesh-submit-cancel-')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "a"\n', 'a/src/A.java': 'class A {}\n' })
  let host: JobsHost | undefined
  const outcomes: string[] = []
  // the client's Ctrl-C: it cancels the id it picked while the node is still in the snapshot
  const store = storeUnpinning(await openStore(t), () => { outcomes.push(host!.cancel('lz1x2y3-00112233aabbccdd', 'interrupted')) })
  host = unstartedHost(store, await tempDir(t, 'gmesh-submit-cancel-work-'))

  await t.throwsAsync(host.submit({ ...request(project), jobId: 'lz1x2y3-00112233aabbccdd' }, new AbortController().signal), { instanceOf: SubmitterGoneError })
  t.deepEqual(outcomes.slice(0, 1), ['stopped-before-start'])
  t.deepEqual(host.list(), [], 'no job is tracked')
  t.is(host.cancel('lz1x2y3-00112233aabbccdd', 'again'), 'unknown', 'once the submission is over, the id names nothing')
})

test('a job takes the id its client picked; a second submission under that id is refused; a cancel after the end says so', async t => {
  const project = await tempDir(t, 'gmesh-submit-id-')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "a"\n', 'a/src/A.java': 'class A {}\n' })
  const host = unstartedHost(await openStore(t), await tempDir(t, 'gmesh-submit-id-work-'))

  const { jobId } = await host.submit({ ...request(project), jobId: 'lz1x2y3-0123456789abcdef' }, new AbortController().signal)
  t.is(jobId, 'lz1x2y3-0123456789abcdef')
  await t.throwsAsync(host.submit({ ...request(project), jobId }, new AbortController().signal), { instanceOf: JobIdTakenError })
  t.is(host.cancel(jobId, 'changed my mind'), 'cancelled')
  t.is(host.cancel(jobId, 'twice'), 'ended')
})

/** A store that counts the pins each blob holds now (pins count: pinned twice, unpinned twice). */
function storeCountingPins (store: ContentStore): { store: ContentStore, pins: Map<string, number> } {
  const pins = new Map<string, number>()
  const counted = new Proxy(store, {
    get (target, prop) {
      if (prop === 'pin') return (sha256: string) => { pins.set(sha256, (pins.get(sha256) ?? 0) + 1); target.pin(sha256) }
      if (prop === 'unpin') return (sha256: string) => { pins.set(sha256, (pins.get(sha256) ?? 0) - 1); target.unpin(sha256) }
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
  return { store: counted, pins }
}

test('the id of a job that ended long ago (gone from the job list, still remembered by the protocol) is refused as in use, not started to run forever', async t => {
  const project = await tempDir(t, 'gmesh-submit-reuse-')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "a"\n', 'a/src/A.java': 'class A {}\n' })
  const { store, pins } = storeCountingPins(await openStore(t))
  const host = unstartedHost(store, await tempDir(t, 'gmesh-submit-reuse-work-'))
  const first = 'lz1x2y3-00000000000000aa'

  // the first job ends, then 60 more: the job list keeps the last 50 ended jobs, the protocol 1,024
  const ids = [first, ...Array.from({ length: 60 }, (_, i) => `lz1x2y3-${i.toString(16).padStart(16, '0')}`)]
  for (const jobId of ids) {
    await host.submit({ ...request(project), jobId }, new AbortController().signal)
    t.is(host.cancel(jobId, 'done with it'), 'cancelled')
  }
  t.false(host.list().some(job => job.id === first), 'the job list has let the first job go')
  const snapshotId = host.report(ids.at(-1)!)?.snapshot.id
  t.is(pins.get(snapshotId!), 0, 'every ended job unpinned its snapshot')

  const error = await t.throwsAsync(host.submit({ ...request(project), jobId: first }, new AbortController().signal), { instanceOf: JobIdTakenError })
  t.regex(error?.message ?? '', /in use on this node \(a job that ended used it before\)/)
  t.false(host.list().some(job => job.id === first), 'no job runs under the old id')
  t.false(host.list().some(job => job.state === 'running'))
  t.is(pins.get(snapshotId!), 0, 'no snapshot is left pinned')
})

test('a job the protocol refuses is not left tracked as running, and its snapshot is unpinned', async t => {
  const project = await tempDir(t, 'gmesh-submit-refused-')
  await writeTree(project, { 'settings.gradle': 'rootProject.name = "a"\n', 'a/src/A.java': 'class A {}\n' })
  const { store, pins } = storeCountingPins(await openStore(t))
  const host = unstartedHost(store, await tempDir(t, 'gmesh-submit-refused-work-'))
  host.protocol.submitJob = () => { throw new Error('refused by the protocol') }

  await t.throwsAsync(host.submit({ ...request(project), jobId: 'lz1x2y3-00000000000000bb' }, new AbortController().signal), { message: 'refused by the protocol' })
  t.deepEqual(host.list(), [], 'no job is tracked')
  t.true(pins.size > 0, 'the snapshot was pinned while the job was handed over')
  t.deepEqual([...pins.values()].filter(count => count !== 0), [], 'and is unpinned')
})
