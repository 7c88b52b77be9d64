import test from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import type { ExecutionContext } from 'ava'
import type { PeerId, Stream } from '@libp2p/interface'
import { callRpc, StreamRpcServer } from '../../../node/libp2p/stream-rpc.js'
import type { RpcServerInit } from '../../../node/libp2p/stream-rpc.js'
import { SpareStreams, type SpareEventDetail, type SpareStreamsInit } from '../../../node/libp2p/spare-streams.js'
import type { MeshLibp2p } from '../../../node/libp2p/create-node.js'
import { addressOf, nextEvent, startNode } from './helpers.js'

const PROTOCOL = '/gmesh/test-spare/1.0.0'

interface Pair { server: StreamRpcServer, serverNode: MeshLibp2p, client: MeshLibp2p, spares: SpareStreams, peer: PeerId }

/** A server that echoes, a connected client, and the client's spare streams of the protocol. */
async function pair (t: ExecutionContext, spareInit: Partial<SpareStreamsInit> = {}, serverInit: Partial<RpcServerInit> = {}): Promise<Pair> {
  const serverNode = await startNode(t)
  const server = new StreamRpcServer(serverNode, { protocol: PROTOCOL, handler: async request => request, ...serverInit })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const client = await startNode(t)
  await client.dial(multiaddr(addressOf(serverNode)))
  const spares = new SpareStreams(client, { protocol: PROTOCOL, ...spareInit })
  t.teardown(() => { spares.stop() })
  return { server, serverNode, client, spares, peer: serverNode.peerId }
}

const ready = async (spares: SpareStreams): Promise<SpareEventDetail> => await nextEvent<SpareEventDetail>(spares, 'ready')
const ended = async (spares: SpareStreams): Promise<SpareEventDetail> => await nextEvent<SpareEventDetail>(spares, 'ended')
const options = (): { signal: AbortSignal, deadlineMs: number } => ({ signal: new AbortController().signal, deadlineMs: 5000 })
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

test('a call takes the ready spare, and a new one is opened after it', async t => {
  const { spares, client, peer, server } = await pair(t)
  const first = ready(spares)
  spares.refill(peer)
  t.is((await first).peer, peer.toString())
  t.is(spares.held(peer), 1)
  const next = ready(spares)
  const reply = await callRpc(client, peer, PROTOCOL, bytes(1, 2, 3), { ...options(), spares })
  t.deepEqual([...reply], [1, 2, 3])
  t.is(spares.stats.taken, 1)
  await next
  t.is(spares.stats.opened, 2)
  t.is(spares.held(peer), 1, 'one spare per peer')
  t.is(server.stats.served, 1)
})

test('the first call to a peer opens its stream and leaves a spare for the next', async t => {
  const { spares, client, peer } = await pair(t)
  const next = ready(spares)
  await callRpc(client, peer, PROTOCOL, bytes(9), { ...options(), spares })
  t.is(spares.stats.taken, 0)
  await next
  t.deepEqual([...await callRpc(client, peer, PROTOCOL, bytes(8), { ...options(), spares })], [8])
  t.is(spares.stats.taken, 1)
})

test('a spare unused for idleMs is closed before any request: the server counts it unused, not malformed', async t => {
  const { spares, peer, server } = await pair(t, { idleMs: 200 })
  const first = ready(spares)
  spares.refill(peer)
  await first
  t.is((await ended(spares)).reason, 'idle')
  t.is(spares.stats.idleClosed, 1)
  t.is(spares.take(peer), undefined)
  t.is(spares.held(peer), 0)
  t.like(server.stats, { unused: 1, malformed: 0, failed: 0, served: 0 })
})

test('a spare is dropped when its connection closes, and none is opened without a connection', async t => {
  const { spares, client, peer } = await pair(t)
  const first = ready(spares)
  spares.refill(peer)
  await first
  const gone = ended(spares)
  await client.hangUp(peer)
  t.is((await gone).reason, 'lost')
  t.is(spares.take(peer), undefined)
  spares.refill(peer) // no connection: no dial
  t.is(spares.held(peer), 0)
  t.is(client.getConnections(peer).length, 0)
})

test('stop closes the spares and opens no more', async t => {
  const { spares, peer } = await pair(t)
  const first = ready(spares)
  spares.refill(peer)
  await first
  const gone = ended(spares)
  spares.stop()
  t.is((await gone).reason, 'stopped')
  spares.refill(peer)
  t.is(spares.held(peer), 0)
})

test('a taken spare found reset before its reply: the call asks again on a new stream', async t => {
  const { client, peer, serverNode } = await pair(t)
  // a stream that looks open but is reset by the remote as soon as the request reaches it
  await serverNode.handle('/gmesh/test-reset/1.0.0', stream => {
    stream.addEventListener('message', () => { stream.abort(new Error('reset by the test')) }, { once: true })
  })
  const dead = await client.dialProtocol(peer, '/gmesh/test-reset/1.0.0')
  let refills = 0
  const spares = { take: (): Stream => dead, refill: () => { refills++ } }
  const reply = await callRpc(client, peer, PROTOCOL, bytes(4, 5), { ...options(), spares })
  t.deepEqual([...reply], [4, 5])
  t.not(dead.status, 'open')
  await new Promise(resolve => setImmediate(resolve))
  t.is(refills, 1)
})

test('a ready spare the server reset (its request deadline) is not handed out', async t => {
  const { spares, peer, client } = await pair(t, { idleMs: 10_000 }, { requestTimeoutMs: 1000 })
  const first = ready(spares)
  spares.refill(peer)
  await first
  t.is((await ended(spares)).reason, 'lost')
  t.is(spares.take(peer), undefined)
  t.deepEqual([...await callRpc(client, peer, PROTOCOL, bytes(6), { ...options(), spares })], [6])
})

test('no more spares are held than maxSpares, over all peers', async t => {
  const { spares, client, peer } = await pair(t, { maxSpares: 1 })
  const other = await startNode(t)
  const otherServer = new StreamRpcServer(other, { protocol: PROTOCOL, handler: async request => request })
  await otherServer.start()
  t.teardown(async () => { await otherServer.stop() })
  await client.dial(multiaddr(addressOf(other)))
  const first = ready(spares)
  spares.refill(peer)
  await first
  spares.refill(other.peerId)
  t.is(spares.held(other.peerId), 0)
  const taken = spares.take(peer)
  t.truthy(taken)
  taken?.abort(new Error('not used by this test'))
  const next = ready(spares)
  spares.refill(other.peerId) // the taken one no longer counts
  t.is((await next).peer, other.peerId.toString())
})
