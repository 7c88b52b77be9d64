import test from 'ava'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { StreamRpcServer } from '../../../node/libp2p/stream-rpc-server.js'
import { PullTooSlowError, ReplicaPuller } from '../../../node/mesh/replica-puller.js'
import { CAS_PROTOCOL, casFrameCodec } from '../../../protocols/cache/index.js'
import type { SignedRecord } from '../../../protocols/cache/index.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { connected, startNode, addressOf } from '../libp2p/helpers.js'

test('over libp2p, a pusher trickling a byte just inside each stall limit loses the pull once a window brings too little, and cools down', async t => {
  t.timeout(30_000)
  const a = await startNode(t)
  const b = await startNode(t, { bootstrap: [addressOf(a)] })
  await connected(b, a)
  const size = 1 << 20
  const sha = 'ab'.repeat(32)
  const trickling = new AbortController()
  t.teardown(() => { trickling.abort(new Error('test over')) })
  const server = new StreamRpcServer(a as any, {
    protocol: CAS_PROTOCOL,
    handler: async () => ({
      header: casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: sha, size }),
      body: (async function * () {
        for (let i = 0; i < size && !trickling.signal.aborted; i++) {
          await sleep(100, undefined, { signal: trickling.signal }).catch(() => {})
          yield new Uint8Array([0])
        }
      })()
    }),
    replyStallTimeoutMs: 60_000
  })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-trickle-'))
  const store = await ContentStore.open({ dir, maxBytes: 1 << 30, syncBlobs: false, logger: silentLogger() })
  const stopping = new AbortController()
  t.teardown(async () => { stopping.abort(new Error('test over')); await store.close(); await rm(dir, { recursive: true, force: true }) })
  // 1 MiB/s over 1 s windows judged every 250 ms: 10 bytes a second is cut a window and a slice after the header, whatever the 500 ms stall limit lets through
  const puller = new ReplicaPuller({
    libp2p: b,
    store,
    maxEntryBytes: 8 << 20,
    timing: { headerMs: 1000, windowMs: 1000, sliceMs: 250, minPusherBytesPerSecond: 1 << 20, slackMs: 500 },
    stallMs: 500,
    maxPerPusher: 1,
    onStored: () => {},
    onCorrupt: () => {}
  }, stopping.signal)
  const record = { gradleKey: 'cd'.repeat(20), sha256: sha, size, time: 1, signature: new Uint8Array(64), producer: a.peerId.toString() } as unknown as SignedRecord
  const offer = new AbortController()
  const started = Date.now()
  const first = puller.pull(a.peerId.toString(), record, offer.signal).catch((err: Error) => err.name)
  offer.abort(new Error('the pusher gave up on its offer'))
  t.is(await first, 'Error')
  const other = { ...record, gradleKey: 'ef'.repeat(20) } as unknown as SignedRecord
  t.is(await puller.pull(a.peerId.toString(), other, new AbortController().signal), 'busy', 'the trickling pull holds the pusher slot meanwhile')
  // the offer made again joins the pull still running, and sees how it ends
  const outcome = await Promise.race([
    puller.pull(a.peerId.toString(), record, stopping.signal).catch((err: Error) => err),
    sleep(15_000, 'still running')
  ])
  const ms = Date.now() - started
  t.true(outcome instanceof PullTooSlowError, `the pull ends once a window brought too little (got ${String(outcome)})`)
  t.true(ms < 4000, `within its header, a window and a slice, and a little (${ms} ms)`)
  t.is(await puller.pull(a.peerId.toString(), other, new AbortController().signal), 'busy', 'its pusher cools down: no fresh pull straight away')
  t.true((puller.coolingUntil(a.peerId.toString()) ?? 0) > performance.now() + 60_000, 'for about 2 min')
})
