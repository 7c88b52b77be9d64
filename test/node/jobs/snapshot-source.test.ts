import test, { type ExecutionContext } from 'ava'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { casFrameCodec, CAS_PROTOCOL, fetchResponseHeader } from '../../../protocols/cache/index.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { BodyStalledError } from '../../../node/libp2p/errors.js'
import { StreamRpcServer } from '../../../node/libp2p/stream-rpc.js'
import { JobTracker } from '../../../node/jobs/job-tracker.js'
import { ShardReports } from '../../../node/jobs/shard-reports.js'
import { BUSY_BACKOFF, snapshotSource, SnapshotUnavailableError } from '../../../node/jobs/snapshot-source.js'
import { TestReportBlobs } from '../../../node/jobs/test-report-blob.js'
import { encodeUnitReport } from '../../../node/jobs/unit-report.js'
import { addressOf, startNode } from '../libp2p/helpers.js'

const BLOB = new TextEncoder().encode('[{"name":"TEST-a.xml","content":"<testsuite/>"}]')
const SHA256 = createHash('sha256').update(BLOB).digest('hex')
const STALL_MS = 200
/** A bound on each test, not a wait: before the fix a stalled body never settled. */
const BOUND_MS = 5000

/** A peer serving blobs whose body stops after a few bytes: the sender is alive, the stream stays open. */
async function stallingPeer (t: ExecutionContext) {
  let release!: () => void
  const stalled = new Promise<void>(resolve => { release = resolve })
  t.teardown(release)
  async function * stops (): AsyncGenerator<Uint8Array> {
    yield BLOB.subarray(0, 5)
    await stalled
  }
  const peer = await startNode(t)
  const server = new StreamRpcServer(peer, {
    protocol: CAS_PROTOCOL,
    maxRequestBytes: 4096,
    handler: async () => ({ header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: SHA256, size: BLOB.byteLength }), body: stops() })
  })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const client = await startNode(t)
  await client.dial(multiaddr(addressOf(peer)))
  return { client, peer: peer.peerId.toString() }
}

async function within<T> (work: Promise<T>): Promise<T | 'still waiting'> {
  return await Promise.race([work, new Promise<'still waiting'>(resolve => { setTimeout(() => { resolve('still waiting') }, BOUND_MS).unref() })])
}

test('a snapshot blob whose body stops arriving fails the fetch after the stall timeout, though the unit\'s own signal never aborts', async t => {
  const { client, peer } = await stallingPeer(t)
  const fetch = snapshotSource(client, peer, undefined, { bodyStallMs: STALL_MS })
  const outcome = await within((async () => {
    const body = await fetch(SHA256, { size: BLOB.byteLength, signal: new AbortController().signal })
    if (body instanceof Uint8Array) return 'whole'
    for await (const chunk of body) void chunk
    return 'ended'
  })().catch((err: unknown) => err))
  t.true(outcome instanceof BodyStalledError, String(outcome))
  t.is((outcome as BodyStalledError).stallMs, STALL_MS, 'failed by the stall timeout, not by another deadline')
})

test('a shard\'s reports blob whose body stops arriving fails the job instead of leaving it assembling', async t => {
  const { client, peer } = await stallingPeer(t)
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-stall-'))
  const store = await ContentStore.open({ dir, maxBytes: 1024 ** 3, logger: silentLogger() })
  t.teardown(async () => { await store.close(); await rm(dir, { recursive: true, force: true }) })
  const blobs = new TestReportBlobs(store)
  t.teardown(() => { blobs.stop() })
  const tracker = new JobTracker('12D3KooWSubmitter', { emit: () => {} })
  const shards = new ShardReports({ tracker, blobs, source: worker => snapshotSource(client, worker, { peer: 'worker', blob: 'test reports blob' }, { bodyStallMs: STALL_MS }), logger: silentLogger() })
  t.teardown(() => { shards.stop() })
  tracker.add('job-1', {
    requested: ['test'],
    snapshot: { id: 'cd'.repeat(32), files: 1, bytes: 1, newBlobs: 0, ms: 1 },
    units: [{ id: 's1', name: ':a:test [1/1]', tasks: [':a:test'], dependsOn: [] }],
    onEnd: () => {}
  })
  const report = { worker: peer, unit: ':a:test [1/1]', outcome: 'success' as const, durationMs: 1, setupMs: 1, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 }, testReports: { sha256: SHA256, size: BLOB.byteLength } }
  tracker.completed('job-1', new Map([['s1', encodeUnitReport(report)]]))
  t.is(tracker.report('job-1')?.state, 'assembling')
  t.is(await within(shards.collect('job-1').then(() => 'collected')), 'collected')
  t.is(tracker.report('job-1')?.state, 'failed')
  t.regex(tracker.report('job-1')?.error ?? '', /:a:test \[1\/1\] could not be fetched from .*stalled/)
})

/** A peer answering every fetch by SHA-256 `busy` for its first `busyFor` asks, then with BLOB; asks after the first are answered after `laterReplyMs`. */
async function busyPeer (t: ExecutionContext, busyFor: number, laterReplyMs = 0) {
  const asked = { count: 0 }
  const peer = await startNode(t)
  const server = new StreamRpcServer(peer, {
    protocol: CAS_PROTOCOL,
    maxRequestBytes: 4096,
    handler: async (_request, context) => {
      if (++asked.count > 1 && laterReplyMs > 0) await BUSY_BACKOFF.sleep(laterReplyMs, context.signal)
      return asked.count <= busyFor
        ? fetchResponseHeader('sha256', undefined, true)
        : { header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: SHA256, size: BLOB.byteLength }), bytes: BLOB }
    }
  })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const client = await startNode(t)
  await client.dial(multiaddr(addressOf(peer)))
  return { client, peer: peer.peerId.toString(), asked }
}

/** A clock that sleeping moves on (no real waits), with the waits it was asked for. */
function fakeClock (random: () => number) {
  let now = 0
  const waits: number[] = []
  return {
    waits,
    busy: { firstDelayMs: 100, maxDelayMs: 1000, random, now: () => now, sleep: async (ms: number) => { waits.push(ms); now += ms } }
  }
}

async function bytesOf (body: AsyncIterable<Uint8Array> | Uint8Array): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

test('a blob whose holder answers busy is asked again after jittered waits that grow, and arrives', async t => {
  const { client, peer, asked } = await busyPeer(t, 5)
  const clock = fakeClock(() => 0.5)
  const fetch = snapshotSource(client, peer, undefined, { busy: clock.busy })
  const body = await fetch(SHA256, { size: BLOB.byteLength, signal: AbortSignal.timeout(BOUND_MS) })
  t.deepEqual(await bytesOf(body), Buffer.from(BLOB))
  t.is(asked.count, 6)
  // between half and all of 100, 200, 400, 800, 1000 (the most): here three quarters
  t.deepEqual(clock.waits, [75, 150, 300, 600, 750])
})

test('a holder still busy at the fetch\'s deadline fails it with SnapshotUnavailableError, without waiting past it', async t => {
  const { client, peer, asked } = await busyPeer(t, Infinity)
  const clock = fakeClock(() => 0.999)
  const fetch = snapshotSource(client, peer, { peer: 'worker', blob: 'test reports blob' }, { busy: clock.busy, deadlineMs: 3000 })
  const err = await t.throwsAsync(fetch(SHA256, { size: BLOB.byteLength, signal: AbortSignal.timeout(BOUND_MS) }), { instanceOf: SnapshotUnavailableError })
  t.regex(err?.message ?? '', /^the worker \S+ answered busy for test reports blob [0-9a-f]{12} 5 times in \d+ ms$/)
  t.is(asked.count, 5)
  t.true(clock.waits.reduce((a, b) => a + b, 0) + BUSY_BACKOFF.minAttemptMs <= 3000, `a second left for the last ask: ${clock.waits.join(' ')}`)
})

test('a busy wait that would leave the next ask too little of the deadline fails the fetch as busy, not with a timeout of that ask', async t => {
  // the next ask would have 1 ms of its deadline left, and the holder takes longer than that to answer it
  const { client, peer, asked } = await busyPeer(t, Infinity, 200)
  const clock = fakeClock(() => 0)
  const fetch = snapshotSource(client, peer, undefined, { busy: { ...clock.busy, firstDelayMs: 2000, maxDelayMs: 2000 }, deadlineMs: 1001 })
  const err = await t.throwsAsync(fetch(SHA256, { size: BLOB.byteLength, signal: AbortSignal.timeout(BOUND_MS) }), { instanceOf: SnapshotUnavailableError })
  t.regex(err?.message ?? '', /^the submitter \S+ answered busy for snapshot blob [0-9a-f]{12} 1 times in 0 ms$/)
  t.is(asked.count, 1)
  t.deepEqual(clock.waits, [])
})

test('a busy holder\'s fetch ends with the caller\'s signal while it waits', async t => {
  const { client, peer } = await busyPeer(t, Infinity)
  const stop = new AbortController()
  const fetch = snapshotSource(client, peer, undefined, { busy: { firstDelayMs: 60_000, maxDelayMs: 60_000, sleep: async (ms, signal) => { stop.abort(new Error('the unit was cancelled')); await BUSY_BACKOFF.sleep(ms, signal) } } })
  await t.throwsAsync(fetch(SHA256, { size: BLOB.byteLength, signal: stop.signal }), { message: 'the unit was cancelled' })
})
