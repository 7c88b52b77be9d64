import test, { type ExecutionContext } from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import { contentKey } from '../../../src/cas/keys.js'
import type { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { createSnapshot, fetchManifest, fetchMissing, pinSnapshot, type FetchBlob } from '../../../src/snapshot/index.js'
import { JobTracker } from '../../../node/jobs/job-tracker.js'
import { ShardReports } from '../../../node/jobs/shard-reports.js'
import { BUSY_BACKOFF, snapshotSource } from '../../../node/jobs/snapshot-source.js'
import { TestReportBlobs, type TestReportsRef } from '../../../node/jobs/test-report-blob.js'
import { encodeUnitReport } from '../../../node/jobs/unit-report.js'
import { BlobServer } from '../../../node/mesh/blob-transfer.js'
import type { MeshLibp2p } from '../../../node/libp2p/index.js'
import { openStore, tempDir, writeTree } from '../../snapshot/helpers.js'
import { addressOf, startNode } from '../libp2p/helpers.js'

/** The uploads a blob server serves at once by default; more are answered busy. */
const UPLOADS = 16

/**
 * `store` for a blob server, whose reads (but those `passes` lets through) all wait until `ready(waiting)` holds,
 * checked at each read and at each `check()`; from then on every read goes through. So the requests that come
 * together meet the server's limit together, however the machine schedules them.
 */
function holdingStore (store: ContentStore, ready: (waiting: number) => boolean, passes: (key: string) => boolean = () => false) {
  let waiting = 0
  let release = (): void => {}
  const released = new Promise<void>(resolve => { release = resolve })
  const check = (): void => { if (ready(waiting)) release() }
  const held = {
    get: async (...args: Parameters<ContentStore['get']>) => {
      if (!passes(args[0])) {
        waiting++
        check()
        await released
      }
      return await store.get(...args)
    }
  } as unknown as ContentStore
  return { held, check }
}

async function serve (t: ExecutionContext, store: ContentStore): Promise<{ node: MeshLibp2p, server: BlobServer }> {
  const node = await startNode(t)
  const server = new BlobServer({ libp2p: node, store, logger: silentLogger(), onPush: async () => { throw new Error('no pushes here') } })
  await server.start()
  t.teardown(async () => { await server.stop() })
  return { node, server }
}

async function dialer (t: ExecutionContext, to: MeshLibp2p): Promise<MeshLibp2p> {
  const node = await startNode(t)
  await node.dial(multiaddr(addressOf(to)))
  return node
}

test('workers fetching one snapshot at once, more blobs together than its submitter serves, all get it: busy answers are asked again', async t => {
  const workers = 5
  const project = await tempDir(t)
  await writeTree(project, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`src/F${i}.java`, `class F${i} {}\n`])))
  const submitterStore = await openStore(t)
  const snapshot = await createSnapshot(project, submitterStore)
  t.teardown(pinSnapshot(submitterStore, snapshot.id, snapshot.manifest))
  // each worker asks for 4 files at once: the first 16 asks wait in the store until the other 4 were answered busy
  let server: BlobServer | undefined
  const { held, check } = holdingStore(submitterStore, waiting => waiting >= UPLOADS && (server?.stats.busy ?? 0) >= workers * 4 - UPLOADS,
    key => key === contentKey(snapshot.id))
  const submitter = await serve(t, held)
  server = submitter.server
  const busy = { firstDelayMs: 5, maxDelayMs: 20, sleep: async (ms: number, signal: AbortSignal) => { check(); await BUSY_BACKOFF.sleep(ms, signal) } }

  // dialled one by one: a host may be in few handshakes with a node at once (HandshakeWatch)
  const nodes: MeshLibp2p[] = []
  for (let i = 0; i < workers; i++) nodes.push(await dialer(t, submitter.node))
  const results = await Promise.allSettled(nodes.map(async node => {
    const store = await openStore(t)
    const fetch = snapshotSource(node, submitter.node.peerId.toString(), undefined, { busy })
    const source: FetchBlob = async (sha256, options) => {
      try {
        return await fetch(sha256, options)
      } finally {
        check()
      }
    }
    const signal = AbortSignal.timeout(30_000)
    const manifest = await fetchManifest(snapshot.id, store, source, { signal })
    return await fetchMissing(manifest, store, source, { signal })
  }))
  t.deepEqual(results.map(r => r.status === 'fulfilled' ? r.value.fetched : String(r.reason)), Array<number | string>(workers).fill(8))
  t.true(server.stats.busy >= workers * 4 - UPLOADS, 'the submitter answered busy')
})

test('a job whose test shards all ran on one worker, more than it serves at once, gets every shard\'s reports and is done', async t => {
  const shards = 24
  const workerStore = await openStore(t)
  const kept = new TestReportBlobs(workerStore)
  t.teardown(() => { kept.stop() })
  const refs: TestReportsRef[] = []
  for (let i = 0; i < shards; i++) refs.push(await kept.keep([{ name: `TEST-example.T${i}.xml`, content: `<testsuite name="example.T${i}" tests="1"/>` }]))
  // every fetch the submitter asked for waits in the worker's store until all of them reached it (or were answered busy)
  let sent = 0
  let server: BlobServer | undefined
  const { held, check } = holdingStore(workerStore, waiting => waiting + (server?.stats.busy ?? 0) >= sent)
  const worker = await serve(t, held)
  server = worker.server
  const submitter = await dialer(t, worker.node)

  const tracker = new JobTracker('12D3KooWSubmitter', { emit: () => {} })
  const blobs = new TestReportBlobs(await openStore(t))
  t.teardown(() => { blobs.stop() })
  const source = (peer: string): FetchBlob => {
    const fetch = snapshotSource(submitter, peer, { peer: 'worker', blob: 'test reports blob' }, { busy: { sleep: async (ms, signal) => { check(); await BUSY_BACKOFF.sleep(ms, signal) } } })
    return async (sha256, options) => {
      sent++
      try {
        return await fetch(sha256, options)
      } finally {
        check()
      }
    }
  }
  const collector = new ShardReports({ tracker, blobs, source, logger: silentLogger() })
  t.teardown(() => { collector.stop() })
  const units = refs.map((_, i) => ({ id: `s${i}`, name: `:a:test [${i + 1}/${shards}]`, tasks: [':a:test'], dependsOn: [] }))
  tracker.add('job-1', { requested: ['test'], snapshot: { id: 'cd'.repeat(32), files: 1, bytes: 1, newBlobs: 0, ms: 1 }, units, onEnd: () => {} })
  const workerId = worker.node.peerId.toString()
  tracker.completed('job-1', new Map(units.map((unit, i) => [unit.id, encodeUnitReport({
    worker: workerId, unit: unit.name, outcome: 'success', durationMs: 1, setupMs: 1, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 }, testReports: refs[i]!
  })])))
  await collector.collect('job-1')
  t.is(tracker.report('job-1')?.error, undefined)
  t.is(tracker.report('job-1')?.state, 'done')
  t.is(worker.server.stats.busy, 0, 'the worker was never asked for more reports than it serves at once')
  t.is(Object.keys((await collector.reports('job-1'))?.units ?? {}).length, shards)
})
