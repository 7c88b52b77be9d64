import test from 'ava'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import { Membership, membershipCodec } from '../../../protocols/membership/index.js'
import type { Load } from '../../../protocols/membership/index.js'
import { MeshTopics } from '../../../node/libp2p/gossip-config.js'
import { TopicGuard } from '../../../node/libp2p/topic-guard.js'
import { addressOf, startNode, subscribed } from './helpers.js'

const TOPIC = MeshTopics.membership
const idle: Load = { capacity: 8, running: 0, queued: 0, cacheBytes: 0 }
const busy: Load = { capacity: 8, running: 8, queued: 40, cacheBytes: 0 }

/** The gossipsub internals the replay needs: what M keeps of a message, how it sends one, B's seen-caches (by message id and by fast id). */
interface Internals {
  mcache: { msgs: Map<string, { message: unknown }> }
  sendRpc: (peer: string, rpc: { subscriptions: unknown[], messages: unknown[] }) => boolean
  seenCache: { clear: () => void }
  fastMsgIdCache: { clear: () => void }
}

test('a heartbeat M captured and sends to B again once B\'s seen-cache let it go is ignored: B keeps A\'s newer load', async t => {
  const b = await startNode(t)
  const membership = new Membership({ self: b.peerId.toString(), seeds: [], random: new Xoshiro128(1), load: idle })
  membership.start(0)
  const verdicts: string[] = []
  let judged = (): void => {}
  const guard = new TopicGuard(b.services.pubsub)
  guard.judge(TOPIC, 64 * 1024, (from, data, seqno) => {
    verdicts.push(membership.onMessage(from.toString(), TOPIC, data, verdicts.length, seqno))
    judged()
    return verdicts.at(-1) as 'accept' | 'ignore' | 'reject'
  })
  const nextVerdict = async (): Promise<string> => await new Promise(resolve => { judged = () => { resolve(verdicts.at(-1) as string) } })
  const m = await startNode(t, { bootstrap: [addressOf(b)] })
  const a = await startNode(t, { bootstrap: [addressOf(b), addressOf(m)] })
  m.services.pubsub.subscribe(TOPIC)
  const captured: unknown[] = []
  m.services.pubsub.addEventListener('gossipsub:message', evt => {
    const entry = (m.services.pubsub as unknown as Internals).mcache.msgs.get(evt.detail.msgId)
    if (entry !== undefined && evt.detail.msg.type === 'signed' && evt.detail.msg.from.equals(a.peerId)) captured.push(entry.message)
  })
  await subscribed(a.services.pubsub, TOPIC, b.peerId)
  await subscribed(a.services.pubsub, TOPIC, m.peerId)
  await subscribed(m.services.pubsub, TOPIC, b.peerId)
  const peer = a.peerId.toString()
  const beat = (load: Load): Uint8Array => membershipCodec.encode({ type: 'gossip', updates: [{ peer, status: 'alive', incarnation: 3, load }] })

  let verdict = nextVerdict()
  await a.services.pubsub.publish(TOPIC, beat(idle))
  t.is(await verdict, 'accept')
  verdict = nextVerdict()
  await a.services.pubsub.publish(TOPIC, beat(busy))
  t.is(await verdict, 'accept')
  t.deepEqual(membership.members.get(peer)?.load, busy)
  t.true(captured.length > 0, 'M holds A\'s idle heartbeat, signed')

  const seen = b.services.pubsub as unknown as Internals
  seen.seenCache.clear() // what 2 min do, to both caches (they keep entries equally long)
  seen.fastMsgIdCache.clear()
  verdict = nextVerdict()
  ;(m.services.pubsub as unknown as Internals).sendRpc(b.peerId.toString(), { subscriptions: [], messages: [captured[0]] })
  t.is(await verdict, 'ignore')
  t.deepEqual(membership.members.get(peer)?.load, busy)
  membership.stop(verdicts.length)
})
