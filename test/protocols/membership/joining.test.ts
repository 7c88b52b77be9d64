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
