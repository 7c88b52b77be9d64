import test from 'ava'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { DEFAULT_FORWARDER_BUDGET, DEFAULT_GOSSIP_BUDGET } from '../../../node/libp2p/gossip-budget.js'
import { MeshTopics } from '../../../node/libp2p/gossip-config.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import type { ThrottleReason, TopicRejection } from '../../../node/libp2p/topic-guard.js'
import { addressOf, nextEvent, startNode, subscribed } from './helpers.js'
import { relayMessages, signedMessage } from './forged-gossip.js'

const TOPIC = MeshTopics.membership

test('a peer relaying gossip signed by many fresh keys is held to its forwarder budget, without a penalty', async t => {
  const receiver = await startNode(t)
  const judged = new Map<string, number>()
  const throttles: ThrottleReason[] = []
  const rejections: TopicRejection[] = []
  let allSeen!: () => void
  const seen = new Promise<void>(resolve => { allSeen = resolve })
  const total = 30 * 10
  const check = (): void => { if ([...judged.values()].reduce((a, b) => a + b, 0) + throttles.length === total) allSeen() }
  // a frozen clock: nothing refills while the messages arrive, however slow the machine
  const guard = new TopicGuard(receiver.services.pubsub, {
    forwarderBudget: { burst: 50, perSecond: 1, now: () => 0 },
    onReject: r => { rejections.push(r) },
    onThrottle: (_topic, _author, forwarder, reason) => {
      t.true(forwarder.toString() !== receiver.peerId.toString())
      throttles.push(reason)
      check()
    }
  })
  guard.judge(TOPIC, 1024, from => { judged.set(from.toString(), (judged.get(from.toString()) ?? 0) + 1); check(); return 'accept' })
  const relay = await startNode(t, { bootstrap: [addressOf(receiver)] })
  relay.services.pubsub.subscribe(TOPIC)
  await subscribed(receiver.services.pubsub, TOPIC, relay.peerId)

  // 30 fresh authors, none connected to the receiver, 10 messages each: each within the per-author budget
  const authors = await Promise.all(Array.from({ length: 30 }, async () => await generateKeyPair('Ed25519')))
  const messages = []
  for (const author of authors) for (let i = 0; i < 10; i++) messages.push(await signedMessage(author, TOPIC, Uint8Array.from([i])))
  relayMessages(relay, receiver, messages)
  await seen

  t.is([...judged.values()].reduce((a, b) => a + b, 0), 50, 'the forwarder budget, whoever signed the messages')
  t.is(throttles.length, 250)
  t.true(throttles.every(reason => reason === 'forwarder'))
  t.is(guard.throttledByForwarder, 250)
  t.deepEqual(receiver.getPeers().map(String), [relay.peerId.toString()], 'no author is connected to the receiver')
  t.deepEqual(rejections, [])
  await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
  await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
  const scores = receiver.services.pubsub as unknown as { getScore: (peer: string) => number }
  t.true(scores.getScore(relay.peerId.toString()) >= 0, 'ignored, not penalised: the relay may be honest')
})

/** Just what TopicGuard uses of gossipsub: its validators, called here as gossipsub would for each new message. */
function validatorsOnly () {
  const topicValidators = new Map<string, (peer: PeerId, msg: Message) => TopicValidatorResult>()
  const pubsub = { topicValidators, subscribe () {}, unsubscribe () {}, addEventListener () {}, removeEventListener () {}, publish: async () => {} }
  return { pubsub: pubsub as unknown as GossipSub, validate: (peer: PeerId, msg: Message) => topicValidators.get(msg.topic)!(peer, msg) }
}

const fresh = async (n: number): Promise<PeerId[]> =>
  await Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

const message = (from: PeerId, topic: string = TOPIC): Message =>
  ({ type: 'signed', from, topic, data: Uint8Array.of(1), sequenceNumber: 1n, signature: new Uint8Array(64), key: from.publicKey! })

test('the default forwarder budget carries what a 200-node mesh publishes, and no more', async t => {
  let now = 0
  const { pubsub, validate } = validatorsOnly()
  const guard = new TopicGuard(pubsub, { budget: { ...DEFAULT_GOSSIP_BUDGET, now: () => now }, forwarderBudget: { ...DEFAULT_FORWARDER_BUDGET, now: () => now } })
  guard.judge(MeshTopics.cache, 1024, () => 'accept')
  guard.judge(MeshTopics.membership, 1024, () => 'accept')
  guard.judge(MeshTopics.jobs, 1024, () => 'accept')
  const [relay] = await fresh(1)
  const nodes = await fresh(200)
  const relayed = (from: PeerId, topic: string): boolean => validate(relay!, message(from, topic)) === TopicValidatorResult.Accept

  // a node whose only link is the relay: every node's refresh pass at once (8 batches), then for a minute each node's
  // cache batch every 250 ms and job announce every second, and membership's 10 heartbeats a second over the mesh
  let accepted = 0
  for (const node of nodes) for (let i = 0; i < 8; i++) accepted += Number(relayed(node, MeshTopics.cache))
  for (let tick = 1; tick <= 240; tick++) {
    now = tick * 250
    for (const node of nodes) accepted += Number(relayed(node, MeshTopics.cache))
    if (tick % 4 !== 0) continue
    for (const node of nodes) accepted += Number(relayed(node, MeshTopics.jobs))
    for (let i = 0; i < 10; i++) accepted += Number(relayed(nodes[(tick * 10 + i) % nodes.length]!, MeshTopics.membership))
  }
  t.is(guard.throttled, 0, 'an honest relay is not held back')
  t.is(accepted, 1600 + 240 * 200 + 60 * 200 + 60 * 10)

  // the same relay floods, signed by 1000 fresh keys, 10 messages each (well within their author budgets), in a second
  const flooders = await fresh(1000)
  let flood = 0
  for (let i = 0; i < 10_000; i++) {
    now += 0.1
    flood += Number(relayed(flooders[i % flooders.length]!, MeshTopics.cache))
  }
  t.true(flood <= DEFAULT_FORWARDER_BUDGET.burst + DEFAULT_FORWARDER_BUDGET.perSecond, `${flood} of 10000 taken`)
  t.is(guard.throttledByForwarder, 10_000 - flood)
  t.is(guard.throttled, 10_000 - flood, 'all by the forwarder budget')
})

test('members\' traffic through one relay is never held to its forwarder budget, however large the mesh or their refresh', async t => {
  let now = 0
  const { pubsub, validate } = validatorsOnly()
  const nodes = await fresh(300)
  const members = new Set(nodes.map(String))
  const guard = new TopicGuard(pubsub, {
    budget: { ...DEFAULT_GOSSIP_BUDGET, now: () => now },
    forwarderBudget: { ...DEFAULT_FORWARDER_BUDGET, now: () => now },
    isMember: author => members.has(author.toString())
  })
  guard.judge(MeshTopics.cache, 1024, () => 'accept')
  guard.judge(MeshTopics.membership, 1024, () => 'accept')
  guard.judge(MeshTopics.jobs, 1024, () => 'accept')
  const [relay] = await fresh(1)
  const relayed = (from: PeerId, topic: string): boolean => validate(relay!, message(from, topic)) === TopicValidatorResult.Accept

  // a 300-node mesh (the 200-node model of the default budget, grown), each node holding 100k records: its refresh
  // pass is 22 batches of 128 (CacheAnnouncer: max(1024, held * 300 / 10800) records), all at once through the relay
  let sent = 0
  let accepted = 0
  for (const node of nodes) for (let i = 0; i < 22; i++) { sent++; accepted += Number(relayed(node, MeshTopics.cache)) }
  for (let tick = 1; tick <= 240; tick++) {
    now = tick * 250
    for (const node of nodes) { sent++; accepted += Number(relayed(node, MeshTopics.cache)) }
    if (tick % 4 !== 0) continue
    for (const node of nodes) { sent++; accepted += Number(relayed(node, MeshTopics.jobs)) }
    for (let i = 0; i < 10; i++) { sent++; accepted += Number(relayed(nodes[(tick * 10 + i) % nodes.length]!, MeshTopics.membership)) }
  }
  t.is(sent, 300 * 22 + 240 * 300 + 60 * 300 + 60 * 10)
  t.is(guard.throttled, 0, 'no member\'s message is lost')
  t.is(accepted, sent)

  // the same relay, at the same time, floods signed by 1000 fresh keys: held to its forwarder budget as before
  const flooders = await fresh(1000)
  let flood = 0
  for (let i = 0; i < 10_000; i++) {
    now += 0.1
    flood += Number(relayed(flooders[i % flooders.length]!, MeshTopics.cache))
    if (i % 10 === 0) t.true(relayed(nodes[i % nodes.length]!, MeshTopics.membership), 'members still get through')
  }
  t.true(flood <= DEFAULT_FORWARDER_BUDGET.burst + DEFAULT_FORWARDER_BUDGET.perSecond, `${flood} of 10000 taken`)
  t.is(guard.throttledByForwarder, 10_000 - flood)
  t.is(guard.throttled, 10_000 - flood, 'only the flood is held back')
})
