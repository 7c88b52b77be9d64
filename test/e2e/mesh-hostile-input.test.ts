import test, { type ExecutionContext } from 'ava'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream, StreamCloseEvent } from '@libp2p/interface'
import { createMeshLibp2p, MeshTopics, type MeshLibp2p } from '../../node/libp2p/index.js'
import { CACHE_INDEX_PROTOCOL, CACHE_INDEX_PROTOCOL_1_2, CAS_PROTOCOL } from '../../protocols/cache/index.js'
import { MEMBERSHIP_PROTOCOL } from '../../protocols/membership/index.js'
import { subscribed } from '../node/libp2p/helpers.js'
import { bootstrapAddress, cacheGet, cachePut, meshStatus, MESH_TEST_TIMEOUT_MS, randomKey, startMeshNode } from '../node/mesh/helpers.js'

const PROTOCOLS = [CAS_PROTOCOL, CACHE_INDEX_PROTOCOL, CACHE_INDEX_PROTOCOL_1_2, MEMBERSHIP_PROTOCOL]
const TOPICS = [MeshTopics.membership, MeshTopics.cache]

/** An unsigned LEB128 varint, the length prefix of every gmesh frame. */
function lengthPrefix (length: number): Uint8Array {
  const bytes: number[] = []
  for (let rest = length; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) { bytes.push(rest); break }
    bytes.push((rest % 128) | 0x80)
  }
  return Uint8Array.from(bytes)
}

/** What one hostile stream carries. */
const HOSTILE_STREAMS: Record<string, () => Uint8Array> = {
  'random bytes': () => randomBytes(4096),
  'a frame of random bytes': () => Buffer.concat([lengthPrefix(1000), randomBytes(1000)]),
  'an oversized frame': () => Buffer.concat([lengthPrefix(64 * 1024 * 1024), randomBytes(8192)])
}

/** Sends `bytes` on a fresh stream of `protocol`; resolves to the error the node closed it with, if any. */
async function sendHostile (attacker: MeshLibp2p, target: MeshLibp2p['peerId'], protocol: string, bytes: Uint8Array): Promise<Error | undefined> {
  const stream: Stream = await attacker.dialProtocol(target, protocol)
  const closed = new Promise<Error | undefined>(resolve => {
    stream.addEventListener('close', evt => { resolve((evt as StreamCloseEvent).error) }, { once: true })
  })
  stream.send(bytes)
  await stream.close().catch(() => {})
  return await closed
}

/** Checks `condition` every 100 ms until it holds; fails after `withinMs`. */
async function until (what: string, condition: () => boolean, withinMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + withinMs
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`${what}: not within ${withinMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** The peers in `node`'s own mesh for `topic` (the GossipSub class has it; its public interface does not). */
function meshPeers (node: MeshLibp2p, topic: string): string[] {
  return (node.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(topic)
}

/**
 * Publishes `bytes` on `topic` until gossipsub has actually sent them to `target` (a publish right
 * after connecting finds no outbound stream yet and is dropped without error).
 */
async function publishTo (sender: MeshLibp2p, target: { toString: () => string }, topic: string, bytes: Uint8Array): Promise<void> {
  let sent = false
  for (let tries = 0; !sent && tries < 100; tries++) {
    const { recipients } = await sender.services.pubsub.publish(topic, bytes)
    sent = recipients.some(peer => peer.toString() === target.toString())
    if (!sent) await new Promise(resolve => setTimeout(resolve, 100))
  }
  if (!sent) throw new Error(`no message on ${topic} reached ${target.toString()} in 100 tries`)
}

/** A bare libp2p node of the mesh's kind (no gmesh protocols), stopped in the teardown. */
async function startAttacker (t: ExecutionContext): Promise<MeshLibp2p> {
  const attacker = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false })
  t.teardown(async () => { await attacker.stop() })
  return attacker
}

/** Gossip rejections the node logged (pino JSON lines at debug level) for messages from `peer`. */
function loggedRejections (stderr: string, peer: string): Array<{ topic: string, reason: string }> {
  return stderr.split('\n').flatMap(line => {
    if (!line.startsWith('{')) return []
    const entry = JSON.parse(line) as { msg?: string, peer?: string, topic?: string, reason?: string }
    return entry.msg === 'gossip message rejected' && entry.peer === peer ? [{ topic: entry.topic ?? '', reason: entry.reason ?? '' }] : []
  })
}

test('random bytes and oversized frames on every protocol and topic: the node keeps serving and rejects the sender\'s messages', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'one gmesh process and six attackers on a shared 2-core machine')
  const node = await startMeshNode(t, ['--log-level', 'debug'])
  const key = randomKey()
  const body = randomBytes(10_000)
  t.is(await cachePut(node, key, body), 200)
  const attacker = await startAttacker(t)
  const target = (await attacker.dial(multiaddr(bootstrapAddress(node)))).remotePeer

  for (const protocol of PROTOCOLS) {
    for (const [what, bytes] of Object.entries(HOSTILE_STREAMS)) {
      const error = await sendHostile(attacker, target, protocol, bytes())
      t.truthy(error, `the node reset the stream of ${what} on ${protocol}`)
    }
  }

  const nodeId = node.info.peerId
  const topic = MeshTopics.membership
  const meshed = await startAttacker(t)
  meshed.services.pubsub.subscribe(topic)
  await meshed.dial(multiaddr(bootstrapAddress(node)))
  await until('the node grafts the subscriber into its topic mesh', () => meshPeers(meshed, topic).includes(nodeId))
  await publishTo(meshed, node.info.peerId, topic, randomBytes(512))
  await until('the node prunes the sender of garbage from its mesh', () => !meshPeers(meshed, topic).includes(nodeId))
  t.false(meshPeers(meshed, topic).includes(nodeId), 'one malformed message took the sender below a zero score: pruned')

  // Each rejection costs the sender score: a node drops peers with a negative score from its
  // topic mesh at the next heartbeat (and would graylist one that keeps trying). One sender per
  // hostile message below, so that every message is still validated and its rejection logged.
  const expected: Array<{ sender: string, topic: string, reason: string }> = []
  for (const topic of TOPICS) {
    for (const [reason, bytes] of [['malformed', randomBytes(1024)], ['oversize', randomBytes(100 * 1024)]] as const) {
      const sender = await startAttacker(t)
      const remote = (await sender.dial(multiaddr(bootstrapAddress(node)))).remotePeer
      await subscribed(sender.services.pubsub, topic, remote)
      await publishTo(sender, remote, topic, bytes)
      expected.push({ sender: sender.peerId.toString(), topic, reason })
    }
  }
  await until('every rejection is logged', () => expected.every(({ sender }) => loggedRejections(node.stderr(), sender).length > 0))
  for (const { sender, topic, reason } of expected) {
    t.deepEqual(loggedRejections(node.stderr(), sender), [{ topic, reason }], `the ${reason} message on ${topic} was rejected, naming its sender`)
  }

  const got = await cacheGet(node, key)
  t.is(got.status, 200, 'the node still serves its cache')
  t.true(got.body.equals(body))
  const status = await meshStatus(node)
  t.is(status.cache.entries, 1, 'and answers status')
  t.true(await attacker.services.ping.ping(target) >= 0, 'and its libp2p side still answers')
})
