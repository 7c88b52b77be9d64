import test from 'ava'
import type { ExecutionContext } from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Mesh, type MeshInit } from '../../../node/mesh/mesh.js'
import { sendPushOffer } from '../../../node/mesh/replica-pusher.js'
import { recordFromStored, type SignedRecord } from '../../../protocols/cache/index.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { monotonicNow } from '../../../node/clock.js'
import { EventBus } from '../../../node/events/index.js'
import { startBentNode, type BendEntry, type InProcessNode } from '../../e2e/in-process-node.js'

/** `events`: the replica's event bus, which hears of peers coming (`peer-up`) as its membership does. */
interface Replica { mesh: Mesh, store: ContentStore, address: string, events: EventBus }

/** An in-process replica node on loopback, stopped and removed in the teardown. */
async function startReplica (t: ExecutionContext, init: Partial<MeshInit> = {}): Promise<Replica> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-replica-'))
  const store = await ContentStore.open({ dir, maxBytes: 64 * 1024 * 1024, logger: silentLogger() })
  const events = new EventBus()
  const mesh = new Mesh({ privateKey: await generateKeyPair('Ed25519'), store, logger: silentLogger(), events }, {
    listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, slots: 0, maxEntryBytes: 64 * 1024 * 1024, ...init
  })
  await mesh.start()
  t.teardown(async () => { await mesh.stop(); await store.close(); await rm(dir, { recursive: true, force: true }) })
  const address = mesh.multiaddrs.find(m => m.includes('/ip4/127.0.0.1/'))
  if (address === undefined) throw new Error('the replica has no loopback address')
  return { mesh, store, events, address: address.includes('/p2p/') ? address : `${address}/p2p/${mesh.peerId}` }
}

/** A bound on the wait for a peer, not a wait: the replica sees a loopback peer in well under a second. */
const PEER_BOUND_MS = 30_000

/** Resolves once `holds` is true of the replica: at once, or at one of its events; rejects after PEER_BOUND_MS, naming `what`. */
async function until (replica: Replica, what: string, holds: () => boolean): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (!holds()) return
      off()
      clearTimeout(bound)
      resolve()
    }
    const off = replica.events.subscribe(check)
    const bound = setTimeout(() => { off(); reject(new Error(`${what} did not happen within ${PEER_BOUND_MS / 1000} s`)) }, PEER_BOUND_MS)
    check() // after subscribing: what came before is in the state, what comes after is an event
  })
}

/** A pusher joined to `replica` that serves its entries through `bend`; resolves once the replica sees it alive. */
async function startPusher (t: ExecutionContext, replica: Replica, bend: BendEntry): Promise<InProcessNode> {
  const pusher = await startBentNode(replica.address, 'gmesh-pusher-', bend)
  t.teardown(pusher.stop)
  await until(replica, 'the replica seeing the pusher alive', () =>
    replica.mesh.peerList().some(p => p.peerId === pusher.mesh.peerId && p.status === 'alive'))
  return pusher
}

/** Stores `body` at the pusher as its own PUT; resolves to the entry's signed record, which a push offer carries. */
async function ownEntry (pusher: InProcessNode, key: string, body: Uint8Array): Promise<SignedRecord> {
  const meta = await pusher.store.put(key, body)
  await pusher.mesh.cache?.onLocalPut(meta)
  const record = recordFromStored((await pusher.store.head(key))!)
  if (record === undefined) throw new Error('the pusher has no signed record of its entry')
  return record
}

/** Offers `record` from `pusher` to `to`: the push-ack status, or how the offer failed. */
async function offer (pusher: InProcessNode, record: SignedRecord, to: string, timeoutMs = 30_000): Promise<string> {
  const libp2p = (pusher.mesh as unknown as { libp2p: Parameters<typeof sendPushOffer>[0] }).libp2p
  return await sendPushOffer(libp2p, record, to, AbortSignal.timeout(timeoutMs)).then(s => s, (err: Error) => `failed: ${err.name}`)
}

test('a pusher whose replica pull brings wrong bytes is penalised: its offers are refused and nothing is pulled again', async t => {
  t.timeout(90_000, 'two in-process nodes on a shared 2-core machine')
  const replica = await startReplica(t)
  let served = 0
  const liar = await startPusher(t, replica, (_key, entry) => {
    entry.body.destroy()
    served++
    return { meta: entry.meta, body: Readable.from([randomBytes(entry.meta.size)]) }
  })
  const record = await ownEntry(liar, 'ab'.repeat(20), randomBytes(256 * 1024))
  const outcomes: string[] = []
  for (let i = 0; i < 4; i++) outcomes.push(await offer(liar, record, replica.mesh.peerId))
  t.true(outcomes[0]?.startsWith('failed'), `the first offer's pull found wrong bytes: ${outcomes[0]}`)
  t.deepEqual(outcomes.slice(1), ['refused', 'refused', 'refused'], 'the replayed offers are refused at once')
  t.is(served, 1, 'the wrong bytes were pulled once')
  t.is(replica.store.list().length, 0, 'nothing corrupt stored')
  t.is(replica.mesh.cache?.stats.corruptRejected, 1)
  t.true((replica.mesh.cache?.stats.penalised ?? 0) >= 1)
  t.true(replica.mesh.cache?.protocol.lookup.isPenalised(liar.mesh.peerId, monotonicNow()))
})

/** Serves each body in 16 KiB pieces, one every `everyMs`; counts the pulls that started. */
function dripping (everyMs: number, pulls: { started: number }): BendEntry {
  return (_key, entry) => {
    pulls.started++
    const body = Readable.from((async function * () {
      for await (const chunk of entry.body as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; at += 16 * 1024) {
          await sleep(everyMs)
          yield chunk.subarray(at, at + 16 * 1024)
        }
      }
    })())
    return { meta: entry.meta, body }
  }
}

test('a replica pull that takes longer than the request deadline is stored and answered, the body kept moving', async t => {
  t.timeout(90_000, 'two in-process nodes on a shared 2-core machine')
  // the blob server's request deadline (30 s in a node) shortened to 1 s: the pull below takes about 2 s
  const replica = await startReplica(t, { cacheTiming: { blobRequestTimeoutMs: 1000 } })
  const pulls = { started: 0 }
  const pusher = await startPusher(t, replica, dripping(120, pulls))
  const key = 'ef'.repeat(20)
  const record = await ownEntry(pusher, key, randomBytes(256 * 1024))
  t.is(await offer(pusher, record, replica.mesh.peerId), 'stored')
  t.is(pulls.started, 1)
  t.is((await replica.store.head(key))?.sha256, record.sha256)
  t.is(replica.mesh.cache?.stats.replicasStored, 1)
})

test('a pull goes on when its offer\'s stream goes (an older pusher gives up after 30 s); the offer made again joins it', async t => {
  t.timeout(90_000, 'two in-process nodes on a shared 2-core machine')
  const replica = await startReplica(t)
  const pulls = { started: 0 }
  const pusher = await startPusher(t, replica, dripping(120, pulls))
  const key = 'cd'.repeat(20)
  const record = await ownEntry(pusher, key, randomBytes(256 * 1024))
  t.regex(await offer(pusher, record, replica.mesh.peerId, 500), /^failed/, 'the pusher stops waiting half a second in')
  t.is(await offer(pusher, record, replica.mesh.peerId), 'stored', 'the offer made again is answered when the running pull ends')
  t.is(pulls.started, 1, 'one pull for both offers')
  t.is((await replica.store.head(key))?.sha256, record.sha256)
})

test('a replica pull whose body stops moving is abandoned after the stall limit, and nothing is stored', async t => {
  t.timeout(90_000, 'two in-process nodes on a shared 2-core machine')
  const replica = await startReplica(t, { cacheTiming: { replicaPullStallMs: 500 } })
  const pulls = { started: 0 }
  const stuck: Readable[] = []
  const pusher = await startPusher(t, replica, (_key, entry) => {
    pulls.started++
    entry.body.destroy()
    const body = new Readable({ read () {} })
    body.push(Buffer.alloc(1024))
    stuck.push(body)
    return { meta: entry.meta, body }
  })
  t.teardown(() => { for (const body of stuck) body.destroy() })
  const key = '12'.repeat(20)
  const record = await ownEntry(pusher, key, randomBytes(64 * 1024))
  const started = performance.now()
  t.regex(await offer(pusher, record, replica.mesh.peerId), /^failed/)
  t.true(performance.now() - started < 10_000, 'abandoned on the stall limit, not a deadline of the whole pull')
  t.is(pulls.started, 1)
  t.is(await replica.store.head(key), undefined)
  t.is(replica.mesh.cache?.stats.corruptRejected, 0, 'a stalled body is not taken for corrupt bytes')
})

test('a key PUT again with other bytes between its offer and the pull is not the pusher\'s fault: the first offer is refused, the new entry\'s is stored', async t => {
  t.timeout(90_000, 'two in-process nodes on a shared 2-core machine')
  const replica = await startReplica(t)
  const pulls = { started: 0 }
  const pusher = await startPusher(t, replica, (_key, entry) => { pulls.started++; return entry })
  const key = '34'.repeat(20)
  const first = await ownEntry(pusher, key, randomBytes(64 * 1024))
  const second = await ownEntry(pusher, key, randomBytes(48 * 1024)) // a non-reproducible task's output, PUT again
  t.not(first.sha256, second.sha256)
  t.is(await offer(pusher, first, replica.mesh.peerId), 'refused', 'the offered entry is gone: its key now names other bytes')
  t.is(await replica.store.head(key), undefined, 'those bytes are not stored under the first offer')
  t.is(await offer(pusher, second, replica.mesh.peerId), 'stored', 'the pusher is not cooled: its offer of the new entry is pulled')
  t.is((await replica.store.head(key))?.sha256, second.sha256)
  t.is(pulls.started, 2)
})
