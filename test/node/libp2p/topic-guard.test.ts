import test from 'ava'
import { MeshTopics } from '../../../node/libp2p/gossip-config.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import type { TopicRejection, TopicSchema } from '../../../node/libp2p/topic-guard.js'
import { addressOf, nextEvent, startNode, subscribed } from './helpers.js'

/** A toy schema: "count:<digits>", at most 64 bytes. */
const counts: TopicSchema<number> = {
  topic: MeshTopics.cache,
  maxBytes: 64,
  decode: data => {
    const match = /^count:(\d{1,9})$/.exec(new TextDecoder('utf-8', { fatal: true }).decode(data))
    if (match == null) throw new TypeError('not a count message')
    return Number(match[1])
  }
}
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

async function guardedPair (t: Parameters<typeof startNode>[0]) {
  const rejections: TopicRejection[] = []
  const delivered: number[] = []
  let rejected = (): void => {}
  const threeRejected = new Promise<void>(resolve => { rejected = resolve })
  const receiver = await startNode(t)
  const guard = new TopicGuard(receiver.services.pubsub, {
    onReject: r => { if (rejections.push(r) === 3) rejected() }
  })
  guard.guard(counts, m => { delivered.push(m.value) })
  const sender = await startNode(t, { bootstrap: [addressOf(receiver)] })
  await subscribed(sender.services.pubsub, counts.topic, receiver.peerId)
  return { receiver, sender, rejections, delivered, threeRejected }
}

test('malformed and oversized gossip is rejected, not delivered, and lowers the sender\'s score', async t => {
  const { receiver, sender, rejections, delivered, threeRejected } = await guardedPair(t)
  const valid = new Promise<void>(resolve => {
    receiver.services.pubsub.addEventListener('message', () => { resolve() })
  })
  await sender.services.pubsub.publish(counts.topic, bytes('count:abc'))
  await sender.services.pubsub.publish(counts.topic, Uint8Array.from([0xff, 0xfe, 0x00, 0x13]))
  await sender.services.pubsub.publish(counts.topic, bytes(`count:${'9'.repeat(100)}`))
  await sender.services.pubsub.publish(counts.topic, bytes('count:42'))
  await Promise.all([valid, threeRejected])

  t.deepEqual(delivered, [42])
  t.deepEqual(rejections.map(r => r.reason).sort(), ['malformed', 'malformed', 'oversize'])
  t.true(rejections.every(r => r.peer.equals(sender.peerId) && r.topic === counts.topic))

  // a score is cached for a while (scoreCacheValidityMs, by the clock): on a loaded machine heartbeats that were held
  // back fire in a row and may still read the score from before the rejections, so read it at each heartbeat
  const pubsub = receiver.services.pubsub as unknown as { getScore: (peer: string) => number }
  let score = pubsub.getScore(sender.peerId.toString())
  for (let heartbeats = 0; heartbeats < 10 && score >= 0; heartbeats++) {
    await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
    score = pubsub.getScore(sender.peerId.toString())
  }
  t.true(score < 0, `the sender's score after 10 heartbeats: ${score}`)
})

test('publish refuses a message over the topic limit', async t => {
  const node = await startNode(t)
  const guard = new TopicGuard(node.services.pubsub)
  await t.throwsAsync(guard.publish(counts, 1, () => new Uint8Array(65)), { instanceOf: RangeError, message: /64-byte limit/ })
})

test('unguarding removes the validator and the subscription', async t => {
  const node = await startNode(t)
  const guard = new TopicGuard(node.services.pubsub)
  const unguard = guard.guard(counts, () => {})
  t.true(node.services.pubsub.topicValidators.has(counts.topic))
  t.throws(() => guard.guard(counts, () => {}), { message: /already guarded/ })
  unguard()
  t.false(node.services.pubsub.topicValidators.has(counts.topic))
  t.false(node.services.pubsub.getTopics().includes(counts.topic))
})

test('a judging protocol decides each message\'s fate; its rejections are reported', async t => {
  const receiver = await startNode(t)
  const rejections: TopicRejection[] = []
  const judged: string[] = []
  let allJudged!: () => void
  const threeJudged = new Promise<void>(resolve => { allJudged = resolve })
  const guard = new TopicGuard(receiver.services.pubsub, { onReject: r => { rejections.push(r) } })
  guard.judge(MeshTopics.jobs, 64, (_from, data) => {
    const text = new TextDecoder().decode(data)
    if (judged.push(text) === 3) allJudged()
    if (!text.startsWith('job:')) return 'reject'
    return text === 'job:stale' ? 'ignore' : 'accept'
  })
  const sender = await startNode(t, { bootstrap: [addressOf(receiver)] })
  await subscribed(sender.services.pubsub, MeshTopics.jobs, receiver.peerId)
  for (const text of ['garbage', 'job:stale', 'job:1']) await sender.services.pubsub.publish(MeshTopics.jobs, bytes(text))
  await threeJudged
  t.deepEqual(judged.sort(), ['garbage', 'job:1', 'job:stale'])
  t.deepEqual(rejections.map(r => r.reason), ['malformed'])
})

test('a judging protocol that throws has a bug of its own: the message is ignored and its forwarder not penalised', async t => {
  const receiver = await startNode(t)
  const rejections: TopicRejection[] = []
  let failed!: (error: unknown) => void
  const judgeFailed = new Promise<unknown>(resolve => { failed = resolve })
  const guard = new TopicGuard(receiver.services.pubsub, { onReject: r => { rejections.push(r) }, onJudgeError: (_topic, error) => { failed(error) } })
  guard.judge(MeshTopics.jobs, 64, () => { throw new TypeError('a bug in the protocol') })
  const sender = await startNode(t, { bootstrap: [addressOf(receiver)] })
  await subscribed(sender.services.pubsub, MeshTopics.jobs, receiver.peerId)
  await sender.services.pubsub.publish(MeshTopics.jobs, bytes('job:1'))
  t.regex(String(await judgeFailed), /a bug in the protocol/)
  t.deepEqual(rejections, [])
  await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
  await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
  const pubsub = receiver.services.pubsub as unknown as { getScore: (peer: string) => number }
  t.true(pubsub.getScore(sender.peerId.toString()) >= 0, 'the forwarder keeps its score')
})

test('an author that floods valid gossip past its budget has the rest ignored on every topic, without a penalty', async t => {
  const receiver = await startNode(t)
  const delivered: number[] = []
  const judged: string[] = []
  let throttled!: () => void
  const allThrottled = new Promise<void>(resolve => { throttled = resolve })
  const rejections: TopicRejection[] = []
  const guard = new TopicGuard(receiver.services.pubsub, {
    budget: { burst: 5, perSecond: 0.001 },
    onReject: r => { rejections.push(r) },
    onThrottle: () => { if (guard.throttled === 15) throttled() }
  })
  guard.guard(counts, m => { delivered.push(m.value) })
  guard.judge(MeshTopics.jobs, 64, (_from, data) => { judged.push(new TextDecoder().decode(data)); return 'accept' })
  const sender = await startNode(t, { bootstrap: [addressOf(receiver)] })
  await subscribed(sender.services.pubsub, counts.topic, receiver.peerId)
  await subscribed(sender.services.pubsub, MeshTopics.jobs, receiver.peerId)
  for (let i = 0; i < 10; i++) {
    await sender.services.pubsub.publish(counts.topic, bytes(`count:${i}`))
    await sender.services.pubsub.publish(MeshTopics.jobs, bytes(`job:${i}`))
  }
  await allThrottled
  t.is(delivered.length + judged.length, 5, 'the budget of 5, over both topics')
  t.is(guard.throttled, 15)
  t.deepEqual(rejections, [])
  await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
  await nextEvent(receiver.services.pubsub, 'gossipsub:heartbeat')
  const pubsub = receiver.services.pubsub as unknown as { getScore: (peer: string) => number }
  t.true(pubsub.getScore(sender.peerId.toString()) >= 0, 'ignored, not penalised')
})

test('a judge is given each message\'s signed sequence number, higher for each message its author publishes', async t => {
  const receiver = await startNode(t)
  const guard = new TopicGuard(receiver.services.pubsub)
  const seqnos: Array<[string, bigint]> = []
  let judgedAll!: () => void
  const allJudged = new Promise<void>(resolve => { judgedAll = resolve })
  guard.judge(MeshTopics.jobs, 64, (_from, data, seqno) => {
    if (seqnos.push([new TextDecoder().decode(data), seqno]) === 3) judgedAll()
    return 'accept'
  })
  const sender = await startNode(t, { bootstrap: [addressOf(receiver)] })
  await subscribed(sender.services.pubsub, MeshTopics.jobs, receiver.peerId)
  for (const text of ['a', 'b', 'c']) await sender.services.pubsub.publish(MeshTopics.jobs, bytes(text))
  await allJudged
  const ordered = [...seqnos].sort((x, y) => (x[1] < y[1] ? -1 : 1)).map(([text]) => text)
  t.deepEqual(ordered, ['a', 'b', 'c'])
  t.is(new Set(seqnos.map(([, s]) => s)).size, 3)
})
