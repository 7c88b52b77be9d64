import test from 'ava'
import { DEFAULT_MEMBERSHIP_CONFIG } from '../../../protocols/membership/index.js'
import { Driven, gossip, ping, record, welcome } from './fixtures.js'

test('a node without seeds (peers found by mDNS) joins through the first member it hears of, then repairs its view by pulls', t => {
  const b = Driven.node('b', { seeds: [] }).start(0)
  t.deepEqual(b.takeSent(), [], 'alone: nobody to ask')
  t.false(b.timers.has('join'), 'and no retry to wait for')
  b.advance(30_000)
  t.deepEqual(b.takeSent().filter(s => s.message.type === 'join'), [])

  // x's heartbeat arrives over gossipsub once mDNS found it
  b.receive('x', gossip(record('x', 'alive')), 30_100)
  const joins = b.takeSent().filter(s => s.message.type === 'join')
  t.deepEqual(joins.map(s => s.to), ['x'], 'joins through the member it heard of')
  for (const _ of joins) b.receive('x', welcome(record('x', 'alive'), record('y', 'alive')), 30_110)
  t.is(b.m.view.get('y')?.status, 'alive')

  // x's view differs from b's for longer than pullAfterMs: b pulls, as a node with seeds would
  const other = (b.m.view.aliveDigest ^ 0x5a5a) >>> 0
  b.receive('x', ping(7, 0, other), 31_000)
  b.receive('x', ping(8, 0, other), 31_000 + DEFAULT_MEMBERSHIP_CONFIG.pullAfterMs)
  t.deepEqual(b.takeSent().filter(s => s.message.type === 'pull').map(s => s.to), ['x'])
  t.is(b.m.pulls, 1)
})

test('a node restarted without its disk, held alive at a later incarnation, goes one above it from its welcome and its load is seen again', t => {
  const a = Driven.node('a', { seeds: ['a'] }).start(0)
  a.receive('b', gossip(record('b', 'alive', 5)), 10)
  const busy = { capacity: 4, running: 4, queued: 9, cacheBytes: 5000 }
  const b = Driven.node('b', { seeds: ['a'], load: busy }).start(1000)
  for (const join of b.takeSent().filter(s => s.to === 'a')) a.receive('b', join.message, 1005)
  for (const part of a.takeSent().filter(s => s.to === 'b')) b.receive('a', part.message, 1010)
  t.is(b.m.currentIncarnation, 6, 'a new incarnation: its previous process\'s heartbeats at 5 may be signed later than its own')
  for (const update of b.takePublished()) a.receive('b', gossip(update), 1020)
  t.deepEqual(a.m.view.get('b')?.load, busy, 'its heartbeat is news again to a')
})

test('a restarted node joining through a peer that holds it only by others\' word still learns where the mesh holds it', t => {
  // s knows n only from x's welcome (n went down before s joined): a rumour at incarnation 20
  const s = Driven.node('s', { seeds: ['x'] }).start(0)
  for (const join of s.takeSent().filter(m => m.message.type === 'join')) s.receive(join.to, welcome(record('x', 'alive'), record('n', 'alive', 20)), 10)
  t.is(s.m.view.get('n')?.incarnation, 20)
  // n restarts lower (from the clock after many refutations, or a clock stepped back) and joins through s
  const n = Driven.node('n', { seeds: ['s'], restoredIncarnation: 4 }).start(1000)
  for (const join of n.takeSent().filter(m => m.to === 's')) s.receive('n', join.message, 1005)
  const answers = s.takeSent().filter(m => m.to === 'n')
  for (const part of answers) n.receive('s', part.message, 1010)
  t.is(n.m.currentIncarnation, 21, 'the welcome tells n where the mesh holds it, and n goes one above; its join does not re-base that')
  n.takePublished()
  n.receive('c', gossip(record('n', 'suspect', 21)), 1100)
  t.deepEqual(n.takePublished(), [record('n', 'alive', 22)], 'so n refutes a suspicion there')
})
