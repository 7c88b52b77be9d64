import test from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import { createHash, randomBytes } from 'node:crypto'
import { generateSwarmKey } from '../../../node/libp2p/swarm-key.js'
import { openRpc, StreamRpcServer } from '../../../node/libp2p/stream-rpc.js'
import type { HandshakeFailure } from '../../../node/libp2p/handshake-watch.js'
import { addressOf, nextEvent, startNode } from './helpers.js'

const BLOB = '/gmesh/test-blob/1.0.0'

test('nodes sharing a swarm key connect', async t => {
  const swarmKey = generateSwarmKey()
  const a = await startNode(t, { swarmKey })
  const b = await startNode(t, { swarmKey })
  const connection = await b.dial(multiaddr(addressOf(a)))
  t.true(connection.remotePeer.equals(a.peerId))
  t.is(await b.services.ping.ping(a.peerId) >= 0, true)
})

test('nodes sharing a swarm key (or none) count no failed handshake', async t => {
  const swarmKey = generateSwarmKey()
  for (const key of [{ swarmKey }, {}]) {
    const a = await startNode(t, key)
    const b = await startNode(t, key)
    await b.dial(multiaddr(addressOf(a)))
    await b.services.ping.ping(a.peerId)
    const none = { inbound: 0, outbound: 0, timedOut: 0, refused: 0 }
    t.deepEqual([a.services.handshakes.stats, b.services.handshakes.stats], [none, none])
  }
})

test('a node with a different swarm key never connects; both count the failed handshake', async t => {
  const a = await startNode(t, { swarmKey: generateSwarmKey() })
  const intruder = await startNode(t, { swarmKey: generateSwarmKey() })
  const counted = Promise.all([
    nextEvent<HandshakeFailure>(a.services.handshakes, 'failure'),
    nextEvent<HandshakeFailure>(intruder.services.handshakes, 'failure')
  ])
  await t.throwsAsync(intruder.dial(multiaddr(addressOf(a)), { signal: AbortSignal.timeout(10_000) }))
  const [inbound, outbound] = await counted
  t.like([inbound, outbound], [{ direction: 'inbound' }, { direction: 'outbound', remoteAddr: addressOf(a) }])
  t.like(a.services.handshakes.stats, { inbound: 1, outbound: 0 })
  t.like(intruder.services.handshakes.stats, { inbound: 0, outbound: 1 })
  t.is(a.getConnections().length, 0)
  t.is(intruder.getConnections().length, 0)
})

test('a node without a key cannot join a keyed mesh, nor a keyed node an open one; each side counts the failed handshakes', async t => {
  const keyed = await startNode(t, { swarmKey: generateSwarmKey() })
  const open = await startNode(t)
  for (const [from, to] of [[open, keyed], [keyed, open]] as const) {
    const counted = Promise.all([nextEvent(from.services.handshakes, 'failure'), nextEvent(to.services.handshakes, 'failure')])
    await t.throwsAsync(from.dial(multiaddr(addressOf(to)), { signal: AbortSignal.timeout(10_000) }))
    await counted
  }
  t.like(keyed.services.handshakes.stats, { inbound: 1, outbound: 1 })
  t.like(open.services.handshakes.stats, { inbound: 1, outbound: 1 })
  t.is(keyed.getConnections().length, 0)
  t.is(open.getConnections().length, 0)
})

test('a keyed mesh carries 10 MiB bodies both ways without crashing the cipher', async t => {
  const swarmKey = generateSwarmKey()
  const a = await startNode(t, { swarmKey })
  const b = await startNode(t, { swarmKey })
  const blob = new Uint8Array(randomBytes(10 * 1024 * 1024))
  for (const node of [a, b]) {
    const server = new StreamRpcServer(node, { protocol: BLOB, handler: async () => ({ header: new Uint8Array(0), body: [blob] }) })
    await server.start()
    t.teardown(async () => { await server.stop() })
  }
  await b.dial(multiaddr(addressOf(a)))
  for (const [from, to] of [[b, a], [a, b], [b, a]]) {
    const response = await openRpc(from, to.peerId, BLOB, new Uint8Array(0),
      { signal: AbortSignal.timeout(60_000), deadlineMs: 10_000, maxBodyBytes: blob.byteLength })
    const hash = createHash('sha256')
    for await (const chunk of response.body) hash.update(chunk)
    t.is(hash.digest('hex'), createHash('sha256').update(blob).digest('hex'))
  }
})
