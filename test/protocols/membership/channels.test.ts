import test from 'ava'
import { MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, allowedOn, membershipCodec } from '../../../protocols/membership/index.js'
import type { MembershipMessage } from '../../../protocols/membership/index.js'
import { Driven, load, record } from './fixtures.js'

const join: MembershipMessage = { type: 'join', incarnation: 1, load }
const requests: MembershipMessage[] = [
  join,
  { type: 'ping', seq: 1, incarnation: 1, load },
  { type: 'ping-req', seq: 2, target: 'b' },
  { type: 'ack', seq: 3, subject: 'x', incarnation: 1, load },
  { type: 'pull', buckets: Array.from({ length: 64 }, () => 1) },
  { type: 'welcome', part: 0, parts: 1, members: [record('x', 'alive')] }
]

/** `a`, which heard b's heartbeat. */
function started (): Driven {
  const a = Driven.node('a', { seeds: ['a'] }).start(0)
  a.receive('b', { type: 'gossip', updates: [record('b', 'alive')] }, 1)
  a.takeSent()
  return a
}

test('only gossip is taken from the topic, and gossip only from it', t => {
  for (const m of requests) {
    t.false(allowedOn(m.type, MEMBERSHIP_TOPIC), m.type)
    t.true(allowedOn(m.type, MEMBERSHIP_PROTOCOL), m.type)
  }
  t.true(allowedOn('gossip', MEMBERSHIP_TOPIC))
  t.false(allowedOn('gossip', MEMBERSHIP_PROTOCOL))
  t.false(allowedOn('ping', '/gmesh/jobs/3.0.0'), 'nor from another protocol')
})

test('a join, ping, pull, ack, ping-req or welcome on the topic is rejected and answered with nothing: it teaches no member', t => {
  const a = started()
  for (const [i, m] of requests.entries()) {
    t.is(a.m.onMessage(`fake${i}`, MEMBERSHIP_TOPIC, membershipCodec.encode(m), 10), 'reject', m.type)
  }
  t.deepEqual(a.m.drainEffects().filter(e => e.kind === 'send'), [])
  t.deepEqual(a.m.view.liveMembers().map(m => m.peer), ['b'])
  t.is(a.m.rejected, requests.length)
})

test('gossip on the stream is rejected and applied to nothing', t => {
  const a = started()
  const gossip = membershipCodec.encode({ type: 'gossip', updates: [record('b', 'dead', 5), record('x', 'alive')] })
  t.is(a.m.onMessage('c', MEMBERSHIP_PROTOCOL, gossip, 10), 'reject')
  t.is(a.m.view.get('b')?.status, 'alive')
  t.is(a.m.view.get('x'), undefined)
})

test('joins gossiped by 128 made-up authors get no welcome, make no member, and leave a real joiner on the stream its welcome', t => {
  const a = started()
  const bytes = membershipCodec.encode(join)
  const verdicts = new Set<string>()
  for (let i = 0; i < 128; i++) verdicts.add(a.m.onMessage(`fake${i}`, MEMBERSHIP_TOPIC, bytes, 10_000))
  t.deepEqual([...verdicts], ['reject'])
  t.deepEqual(a.m.drainEffects().filter(e => e.kind === 'send'), [], 'no welcome to a made-up author')
  t.is(a.m.view.liveCount, 1, 'b only')
  a.receive('honest', join, 10_100)
  t.true(a.takeSent().some(s => s.to === 'honest' && s.message.type === 'welcome'))
})
