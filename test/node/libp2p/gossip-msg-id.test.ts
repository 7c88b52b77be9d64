import crypto from 'node:crypto'
import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { RPC } from '@libp2p/gossipsub/message'
import { MeshTopics } from '../../../node/libp2p/gossip-config.js'
import { gossipFastMsgId } from '../../../node/libp2p/gossip-msg-id.js'
import { relayMessages, signedMessage } from './forged-gossip.js'
import { addressOf, nextEvent, startNode, subscribed } from './helpers.js'

const TOPIC = MeshTopics.cache
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const flipped = (b: Uint8Array | undefined): Uint8Array => { const c = Uint8Array.from(b ?? []); c[0] ^= 1; return c }

test('the fast id is equal for equal messages and differs when any field differs, or is absent instead of empty', async t => {
  const message = await signedMessage(await generateKeyPair('Ed25519'), TOPIC, bytes('announce'))
  const id = gossipFastMsgId(message)
  t.is(gossipFastMsgId({ ...message, data: Uint8Array.from(message.data ?? []) }), id)
  const variants: RPC.Message[] = [
    { ...message, from: flipped(message.from) },
    { ...message, seqno: flipped(message.seqno) },
    { ...message, topic: MeshTopics.jobs },
    { ...message, data: flipped(message.data) },
    { ...message, signature: flipped(message.signature) },
    { ...message, key: flipped(message.key) },
    { ...message, data: new Uint8Array(0) },
    { ...message, data: undefined },
    // moving bytes from one field to the next keeps their concatenation, not the framing
    { ...message, from: message.from?.subarray(0, -1), seqno: Uint8Array.from([...(message.from?.subarray(-1) ?? []), ...(message.seqno ?? [])]) }
  ]
  const ids = new Set([id, ...variants.map(gossipFastMsgId)])
  t.is(ids.size, variants.length + 1)
})

test('the fast id is the SHA-256 of every field in order, each after its 4-byte length (an absent one: length 0xffffffff, no bytes)', async t => {
  const message = await signedMessage(await generateKeyPair('Ed25519'), TOPIC, bytes('announce'))
  const length = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
  const framed = (fields: Array<Uint8Array | undefined>): Buffer => Buffer.concat(fields.flatMap(f => f === undefined ? [length(0xffffffff)] : [length(f.byteLength), f]))
  const sha256 = (fields: Array<Uint8Array | undefined>): string => crypto.hash('sha256', framed(fields), 'base64')
  const key = flipped(bytes('a key'))
  t.is(gossipFastMsgId({ ...message, key: undefined }), sha256([message.from, message.seqno, bytes(TOPIC), message.data, message.signature, undefined]))
  t.is(gossipFastMsgId({ ...message, key }), sha256([message.from, message.seqno, bytes(TOPIC), message.data, message.signature, key]))
  t.is(gossipFastMsgId({ ...message, data: new Uint8Array(0) }), sha256([message.from, message.seqno, bytes(TOPIC), new Uint8Array(0), message.signature, message.key]))
})

/** Counts ed25519 verifications (node:crypto's verify, which @libp2p/crypto calls) of each signature, by hex. */
function countVerifies (t: Parameters<typeof startNode>[0]): Map<string, number> {
  const counts = new Map<string, number>()
  const verify = crypto.verify
  crypto.verify = ((...args: Parameters<typeof crypto.verify>) => {
    const signature = Buffer.from(args[3] as Uint8Array).toString('hex')
    counts.set(signature, (counts.get(signature) ?? 0) + 1)
    return verify(...args)
  }) as typeof crypto.verify
  t.teardown(() => { crypto.verify = verify })
  return counts
}

test('copies of a gossip message whose signature checked out are not verified again; a copy that differs is, and is not delivered', async t => {
  const receiver = await startNode(t)
  receiver.services.pubsub.subscribe(TOPIC)
  const relay = await startNode(t, { bootstrap: [addressOf(receiver)] })
  relay.services.pubsub.subscribe(TOPIC)
  await subscribed(receiver.services.pubsub, TOPIC, relay.peerId)
  const author = await generateKeyPair('Ed25519')
  const message = await signedMessage(author, TOPIC, bytes('announce'))
  const forged: RPC.Message = { ...message, signature: flipped(message.signature) }
  const marker = await signedMessage(author, TOPIC, bytes('marker'))
  const verifies = countVerifies(t)
  const delivered: string[] = []
  receiver.services.pubsub.addEventListener('message', evt => { delivered.push(new TextDecoder().decode(evt.detail.data)) })
  const hex = (m: RPC.Message): string => Buffer.from(m.signature ?? []).toString('hex')
  const deliveredData = async (data: string): Promise<void> => {
    await nextEvent<{ data: Uint8Array }>(receiver.services.pubsub, 'message', d => new TextDecoder().decode(d.data) === data)
  }

  let next = deliveredData('announce')
  relayMessages(relay, receiver, [message])
  await next
  next = deliveredData('marker')
  relayMessages(relay, receiver, [message, message, message, forged, marker], 1) // one RPC each, as copies come
  await next

  t.is(verifies.get(hex(message)), 1, 'the first copy only')
  t.is(verifies.get(hex(forged)), 1, 'a copy with another signature is checked')
  t.deepEqual(delivered, ['announce', 'marker'])
})
