import test from 'ava'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import { MEMBERSHIP_TOPIC, Membership, membershipCodec } from '../../../protocols/membership/index.js'
import type { Load } from '../../../protocols/membership/index.js'

const idle: Load = { capacity: 8, running: 0, queued: 0, cacheBytes: 0 }
const busy: Load = { capacity: 8, running: 8, queued: 40, cacheBytes: 0 }

function node (): Membership {
  const m = new Membership({ self: 'me', seeds: [], random: new Xoshiro128(1), load: idle })
  m.start(0)
  return m
}

const beat = (incarnation: number, load: Load): Uint8Array =>
  membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'a', status: 'alive', incarnation, load }] })

test('a heartbeat replayed after the seen-cache let it go is ignored: the member keeps its newer load', t => {
  const m = node()
  const old = beat(7, idle)
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, old, 1_000, 100n), 'accept')
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, busy), 5_000, 105n), 'accept')
  // the same signed bytes, sent again by anyone 2 min later: ignored (not rejected: an honest relay is not penalised)
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, old, 200_000, 100n), 'ignore')
  t.deepEqual(m.members.get('a')?.load, busy)
  t.is(m.members.get('a')?.lastHeard, 5_000, 'a replay is no news from the member')
  t.is(m.staleBeats, 1)
})

test('heartbeats of one incarnation are taken in the order their author signed them, whatever the arrival order', t => {
  const m = node()
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, busy), 1_000, 200n), 'accept')
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, idle), 1_100, 150n), 'ignore', 'older than the one taken')
  t.deepEqual(m.members.get('a')?.load, busy)
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, idle), 2_000, 201n), 'accept')
  t.deepEqual(m.members.get('a')?.load, idle)
})

test('a higher incarnation starts the order again: a member restarted with its clock behind is heard', t => {
  const m = node()
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, idle), 1_000, 500n), 'accept')
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(8, busy), 2_000, 20n), 'accept')
  t.like(m.members.get('a'), { incarnation: 8, load: busy })
  // and the old incarnation's heartbeat replayed changes nothing (the precedence rules hold it stale)
  m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, idle), 3_000, 500n)
  t.like(m.members.get('a'), { incarnation: 8, load: busy })
})

test('a heartbeat without a signed sequence number (a driver that has none) is taken as before', t => {
  const m = node()
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, busy), 1_000, 100n), 'accept')
  t.is(m.onMessage('a', MEMBERSHIP_TOPIC, beat(7, idle), 2_000), 'accept')
  t.deepEqual(m.members.get('a')?.load, idle)
})

test('gossip by a member about others is not ordered by its sequence number: only its own heartbeat is', t => {
  const m = node()
  m.onMessage('b', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'b', status: 'alive', incarnation: 1, load: idle }] }), 1_000, 300n)
  m.onMessage('c', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'c', status: 'alive', incarnation: 1, load: idle }] }), 1_000, 1n)
  // b's suspicion of c signed before b's heartbeat, delivered after it: still news
  const suspicion = membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'c', status: 'suspect', incarnation: 1, load: idle }] })
  t.is(m.onMessage('b', MEMBERSHIP_TOPIC, suspicion, 1_500, 299n), 'accept')
  t.is(m.members.get('c')?.status, 'suspect')
})
