import test from 'ava'
import type { ExecutionContext } from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Mesh, type MeshInit } from '../../../node/mesh/mesh.js'
import { sendPushOffer } from '../../../node/mesh/replica-pusher.js'
import { recordFromStored, type SignedRecord } from '../../../protocols/cache/index.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { monotonicNow } from '../../../node/clock.js'
import { startBentNode, type BendEntry, type InProcessNode } from '../../e2e/in-process-node.js'

interface Replica { mesh: Mesh, store: ContentStore, address: string }

/** An in-process replica node on loopback, stopped and removed in the teardown. */
async function startReplica (t: ExecutionContext, init: Partial<MeshInit> = {}): Promise<Replica> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-replica-'))
  const store = await ContentStore.open({ dir, maxBytes: 64 * 1024 * 1024, logger: silentLogger() })
  const mesh = new Mesh({ privateKey: await generateKeyPair('Ed25519'), store, logger: silentLogger() }, {
    listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, slots: 0, maxEntryBytes: 64 * 1024 * 1024, ...init
  })
  await mesh.start()
  t.teardown(async () => { await mesh.stop(); await store.close(); await rm(dir, { recursive: true, force: true }) })
  const address = mesh.multiaddrs.find(m => m.includes('/ip4/127.0.0.1/'))
  if (address === undefined) throw new Error('the replica has no loopback address')
  return { mesh, store, address: address.includes('/p2p/') ? address : `${address}/p2p/${mesh.peerId}` }
}

/** A pusher joined to `replica` that serves its entries through `bend`; resolves once the replica sees it alive. */
async function startPusher (t: ExecutionContext, replica: Replica, bend: BendEntry): Promise<InProcessNode> {
  const pusher = await startBentNode(replica.address, 'gmesh-pusher-', bend)
  t.teardown(pusher.stop)
  const alive = (): boolean => replica.mesh.peerList().some(p => p.peerId === pusher.mesh.peerId && p.status === 'alive')
  for (let i = 0; i < 300 && !alive(); i++) await new Promise(resolve => setTimeout(resolve, 100))
  if (!alive()) throw new Error('the replica never saw the pusher alive')
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
