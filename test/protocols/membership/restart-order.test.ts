import test from 'ava'
import { DIGEST_BUCKETS, MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, membershipCodec } from '../../../protocols/membership/index.js'
import type { Load, MembershipMessage } from '../../../protocols/membership/index.js'
import { Driven, gossip, record } from './fixtures.js'

const idle: Load = { capacity: 8, running: 0, queued: 0, cacheBytes: 0 }
const busy: Load = { capacity: 8, running: 8, queued: 40, cacheBytes: 0 }

/** Gossip `from` signed `sent`, delivered to `to` at `at` (on the topic: the order of heartbeats applies). */
function signed (to: Driven, from: string, message: MembershipMessage, at: number, sent: bigint): string {
  return to.m.onMessage(from, MEMBERSHIP_TOPIC, membershipCodec.encode(message), at, sent)
}

/**
 * b holds a alive at `held`, its heartbeat there signed at 5_000 (a's previous process); a restarts from a clock behind
 * (restoredIncarnation `restored`, its gossipsub sequence numbers from 4_000), joins through b, then beats once.
 */
function restartBehind (held: number, restored: number): { a: Driven, b: Driven, verdict: string } {
  const b = Driven.node('b', { seeds: [] }).start(0)
  t0(signed(b, 'a', gossip(record('a', 'alive', held, idle)), 100, 5_000n))
  const a = Driven.node('a', { seeds: ['b'], restoredIncarnation: restored, load: busy }).start(1_000)
  let seq = 4_000n
  for (const join of a.takeSent().filter(s => s.to === 'b')) b.receive('a', join.message, 1_005)
  for (const part of b.takeSent().filter(s => s.to === 'a')) a.receive('b', part.message, 1_010)
  a.takePublishedMessages()
  a.fire('heartbeat', 2_000)
  let verdict = 'none'
  for (const beat of a.takePublishedMessages()) verdict = signed(b, 'a', beat, 2_000, ++seq)
  return { a, b, verdict }
}

function t0 (verdict: string): void {
  if (verdict !== 'accept') throw new Error(`the previous process's heartbeat was not taken: ${verdict}`)
}

test('a node restarted from a clock behind where it is held goes one above it: its heartbeats, signed lower than its previous process\'s, are heard', t => {
  const { a, b, verdict } = restartBehind(1_000, 990)
  t.is(a.m.currentIncarnation, 1_001, 'a new incarnation, not the previous process\'s')
  t.is(verdict, 'accept')
  t.like(b.m.view.get('a'), { incarnation: 1_001, load: busy, lastHeard: 2_000 })
  t.is(b.m.staleBeats, 0)
})

test('a node held where it is (its own join, heartbeat or refutation echoed back) stays there', t => {
  const b = Driven.node('b', { seeds: [] }).start(0)
  const a = Driven.node('a', { seeds: ['b'], restoredIncarnation: 9 }).start(1_000)
  for (const join of a.takeSent().filter(s => s.to === 'b')) b.receive('a', join.message, 1_005)
  for (const part of b.takeSent().filter(s => s.to === 'a')) a.receive('b', part.message, 1_010)
  t.is(a.m.currentIncarnation, 10)
  t.deepEqual(a.takePublished().map(r => r.incarnation), [10])
  b.receive('a', { type: 'ping', seq: 1, incarnation: 10, load: idle }, 1_100)
  b.m.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'pull', buckets: new Array<number>(DIGEST_BUCKETS).fill(0) }), 1_200)
  for (const part of b.takeSent().filter(s => s.to === 'a')) a.receive('b', part.message, 1_210)
  a.receive('c', gossip(record('a', 'alive', 10)), 1_300)
  t.is(a.m.currentIncarnation, 10)
  t.deepEqual(a.takePublished(), [])
})
