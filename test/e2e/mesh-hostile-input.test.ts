import test from 'ava'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream, StreamCloseEvent } from '@libp2p/interface'
import { createMeshLibp2p, MeshTopics, type MeshLibp2p } from '../../node/libp2p/index.js'
import { CACHE_INDEX_PROTOCOL, CAS_PROTOCOL } from '../../protocols/cache/index.js'
import { MEMBERSHIP_PROTOCOL } from '../../protocols/membership/index.js'
import { subscribed } from '../node/libp2p/helpers.js'
import { bootstrapAddress, cacheGet, cachePut, meshStatus, MESH_TEST_TIMEOUT_MS, randomKey, startMeshNode } from '../node/mesh/helpers.js'

const PROTOCOLS = [CAS_PROTOCOL, CACHE_INDEX_PROTOCOL, MEMBERSHIP_PROTOCOL]
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

/** Gossip rejections the node logged (pino JSON lines at debug level) for messages from `peer`. */
function loggedRejections (stderr: string, peer: string): Array<{ topic: string, reason: string }> {
  return stderr.split('\n').flatMap(line => {
    if (!line.startsWith('{')) return []
    const entry = JSON.parse(line) as { msg?: string, peer?: string, topic?: string, reason?: string }
    return entry.msg === 'gossip message rejected' && entry.peer === peer ? [{ topic: entry.topic ?? '', reason: entry.reason ?? '' }] : []
  })
}

test('random bytes and oversized frames on every protocol and topic: the node keeps serving and rejects the sender\'s messages', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'one gmesh process and an attacker on a shared 2-core machine')
  const node = await startMeshNode(t, ['--log-level', 'debug'])
  const key = randomKey()
  const body = randomBytes(10_000)
  t.is(await cachePut(node, key, body), 200)
  const attacker = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false })
  t.teardown(async () => { await attacker.stop() })
  const target = (await attacker.dial(multiaddr(bootstrapAddress(node)))).remotePeer

  for (const protocol of PROTOCOLS) {
    for (const [what, bytes] of Object.entries(HOSTILE_STREAMS)) {
      const error = await sendHostile(attacker, target, protocol, bytes())
      t.truthy(error, `the node reset the stream of ${what} on ${protocol}`)
    }
  }

  const attackerId = attacker.peerId.toString()
  const pubsub = attacker.services.pubsub
  for (const topic of TOPICS) {
    await subscribed(pubsub, topic, target)
    await pubsub.publish(topic, randomBytes(1024))
    await pubsub.publish(topic, randomBytes(100 * 1024))
  }
  const expected = TOPICS.flatMap(topic => [{ topic, reason: 'malformed' }, { topic, reason: 'oversize' }])
  let rejections = loggedRejections(node.stderr(), attackerId)
  for (let i = 0; i < 40 && rejections.length < expected.length; i++) {
    await new Promise(resolve => setTimeout(resolve, 250))
    rejections = loggedRejections(node.stderr(), attackerId)
  }
  t.deepEqual(rejections.sort(byTopicAndReason), expected.sort(byTopicAndReason), 'each hostile gossip message was rejected, naming its sender')

  const got = await cacheGet(node, key)
  t.is(got.status, 200, 'the node still serves its cache')
  t.true(got.body.equals(body))
  const status = await meshStatus(node)
  t.is(status.cache.entries, 1, 'and answers status')
  t.true(await attacker.services.ping.ping(target) >= 0, 'and its libp2p side still answers')
})

function byTopicAndReason (a: { topic: string, reason: string }, b: { topic: string, reason: string }): number {
  return `${a.topic} ${a.reason}`.localeCompare(`${b.topic} ${b.reason}`)
}
