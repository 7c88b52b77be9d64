import test from 'ava'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createMeshLibp2p, MESH_DHT_PROTOCOL } from '../../../node/libp2p/create-node.js'
import { MeshConfigError } from '../../../node/libp2p/errors.js'
import { MeshTopics } from '../../../node/libp2p/gossip-config.js'
import { CACHE_TOPIC } from '../../../protocols/cache/index.js'
import { JOBS_TOPIC } from '../../../protocols/jobs/index.js'
import { MEMBERSHIP_TOPIC } from '../../../protocols/membership/index.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import type { GuardedMessage, TopicSchema } from '../../../node/libp2p/topic-guard.js'
import { addressOf, lineOfThree, nextEvent, startNode, subscribed } from './helpers.js'

interface Note { text: string }
const notes: TopicSchema<Note> = {
  topic: MeshTopics.membership,
  maxBytes: 1024,
  decode: data => {
    const value = JSON.parse(new TextDecoder().decode(data)) as unknown
    if (typeof value !== 'object' || value == null || typeof (value as Note).text !== 'string') throw new TypeError('not a note')
    return { text: (value as Note).text }
  }
}
const encodeNote = (note: Note): Uint8Array => new TextEncoder().encode(JSON.stringify(note))

test('the peer ID is the one of the given private key', async t => {
  const key = await generateKeyPair('Ed25519')
  const node = await startNode(t, { privateKey: key })
  t.true(node.peerId.equals(peerIdFromPrivateKey(key)))
  t.is(node.status, 'started')
})

test('the DHT speaks the gmesh protocol, not the public IPFS one', async t => {
  const node = await startNode(t)
  t.true(node.getProtocols().includes(MESH_DHT_PROTOCOL))
  t.false(node.getProtocols().includes('/ipfs/kad/1.0.0'))
})

test('two nodes connect through the bootstrap list and exchange a gossip message', async t => {
  const a = await startNode(t)
  const guardA = new TopicGuard(a.services.pubsub)
  const received = new Promise<GuardedMessage<Note>>(resolve => { guardA.guard(notes, resolve) })

  const b = await startNode(t, { bootstrap: [addressOf(a)] })
  const guardB = new TopicGuard(b.services.pubsub)
  guardB.guard(notes, () => {})
  // publish only once each side knows the other's subscription: gossip has no backlog for late joiners
  await Promise.all([subscribed(a.services.pubsub, notes.topic, b.peerId), subscribed(b.services.pubsub, notes.topic, a.peerId)])
  await guardB.publish(notes, { text: 'hello mesh' }, encodeNote)

  const message = await received
  t.deepEqual(message.value, { text: 'hello mesh' })
  t.true(message.from.equals(b.peerId))
  t.is(message.topic, MeshTopics.membership)
})

test('a stopped node can be stopped again and restarted', async t => {
  const node = await startNode(t)
  await node.stop()
  await node.stop()
  t.is(node.status, 'stopped')
  await node.start()
  t.is(node.status, 'started')
})

test('a bad multiaddr or swarm key is a configuration error', async t => {
  const privateKey = await generateKeyPair('Ed25519')
  await t.throwsAsync(createMeshLibp2p({ privateKey, listen: ['not-an-address'], bootstrap: [], mdns: false }),
    { instanceOf: MeshConfigError, message: /invalid listen multiaddr "not-an-address"/ })
  await t.throwsAsync(createMeshLibp2p({ privateKey, listen: [], bootstrap: ['/ip4/1.2.3'], mdns: false }),
    { instanceOf: MeshConfigError, message: /invalid bootstrap multiaddr/ })
  await t.throwsAsync(createMeshLibp2p({ privateKey, listen: [], bootstrap: [], mdns: false, swarmKey: new Uint8Array(16) }),
    { instanceOf: MeshConfigError, message: /32 bytes/ })
})

test('the DHT finds a peer known only by its ID through a third node on loopback', async t => {
  const [a, , c] = await lineOfThree(t)
  const found = await c.peerRouting.findPeer(a.peerId, { signal: AbortSignal.timeout(20_000) })
  t.true(found.multiaddrs.some(address => addressOf(a).startsWith(address.toString())))
  const connection = await c.dial(a.peerId, { signal: AbortSignal.timeout(10_000) })
  t.true(connection.remotePeer.equals(a.peerId))
})

test('a bootstrap peer that is down at start is dialled once it comes up', async t => {
  const key = await generateKeyPair('Ed25519')
  const first = await startNode(t, { privateKey: key })
  const address = addressOf(first)
  await first.stop()
  const b = await startNode(t, { bootstrap: [address], bootstrapRetryMs: 100 })
  const connectedToA = nextEvent<PeerId>(b, 'peer:connect', peer => peer.equals(first.peerId))
  const port = multiaddr(address).getComponents().find(c => c.name === 'tcp')?.value
  const a = await startNode(t, { privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
  await connectedToA
  t.true(b.getConnections(a.peerId).length > 0)
})

test('two nodes that only know a common bootstrap node end up connected', async t => {
  const hub = await startNode(t)
  const b = await startNode(t, { bootstrap: [addressOf(hub)] })
  const bMeetsC = new Promise<void>(resolve => {
    b.addEventListener('peer:connect', evt => { if (evt.detail.equals(c.peerId)) resolve() })
  })
  const c = await startNode(t, { bootstrap: [addressOf(hub)] })
  await bMeetsC
  t.true(b.getConnections(c.peerId).length > 0)
})

test('random bytes on every protocol of the node close those streams and the node keeps serving', async t => {
  const node = await startNode(t)
  const attacker = await startNode(t)
  await attacker.dial(multiaddr(addressOf(node)))
  const protocols = node.getProtocols()
  t.true(protocols.length >= 5)
  for (const protocol of protocols) {
    const stream = await attacker.dialProtocol(node.peerId, protocol)
    const closed = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
    stream.send(randomBytes(4096))
    await stream.close().catch(() => {})
    await closed
  }
  t.true(await attacker.services.ping.ping(node.peerId) >= 0)
  t.is(node.status, 'started')
})

test('gossipsub allows the topics the protocols speak: their versioned names, the jobs topic of wire version 3 included', t => {
  t.deepEqual(Object.values(MeshTopics).sort(), [CACHE_TOPIC, JOBS_TOPIC, MEMBERSHIP_TOPIC].sort())
  t.is(MeshTopics.jobs, 'gmesh/v3/jobs')
})
