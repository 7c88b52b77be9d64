import test from 'ava'
import { MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, membershipCodec } from '../../../protocols/membership/index.js'
import { Driven, gossip, ping, record } from './fixtures.js'

test('heard counts frames, gossip publications and, among their records, the heartbeats: an author\'s own alive record', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  t.deepEqual(a.m.heard.snapshot(), { frames: 0, gossip: 0, heartbeats: 0 })
  a.receive('b', gossip(record('b', 'alive', 1)), 10)
  a.receive('c', gossip(record('c', 'alive', 1), record('b', 'alive', 1)), 20)
  a.receive('c', gossip(record('b', 'suspect', 1)), 30)
  a.receive('c', gossip(record('c', 'suspect', 1)), 35)
  a.receive('b', ping(1), 40)
  t.deepEqual(a.m.heard.snapshot(), { frames: 1, gossip: 4, heartbeats: 2 },
    'b\'s beat and c\'s own record count; c passing on b\'s record, a suspicion and a suspect record of itself do not')
})

test('a replayed heartbeat and a malformed message are not counted as heard', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  const beat = membershipCodec.encode(gossip(record('b', 'alive', 1)))
  t.is(a.m.onMessage('b', MEMBERSHIP_TOPIC, beat, 10, 100n), 'accept')
  t.is(a.m.onMessage('b', MEMBERSHIP_TOPIC, beat, 20, 99n), 'ignore')
  t.is(a.m.onMessage('b', MEMBERSHIP_PROTOCOL, new Uint8Array([0xff, 0xff]), 30), 'reject')
  t.deepEqual(a.m.heard.snapshot(), { frames: 0, gossip: 1, heartbeats: 1 })
  t.is(a.m.staleBeats, 1)
  t.is(a.m.rejected, 1)
})
