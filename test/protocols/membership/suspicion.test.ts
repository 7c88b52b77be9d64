import test from 'ava'
import { Driven, gossip, record, welcome } from './fixtures.js'

test('a refutation learned from a pull answer is not taken for silence: the next sweep suspects nobody', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('y', gossip(record('y', 'alive')), 1)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('y', gossip(record('x', 'dead', 1)), 1000)
  // x refuted at 2 long after; a missed that gossip and learns it from y's pull answer
  a.receive('y', welcome(record('y', 'alive'), record('x', 'alive', 2)), 100_000)
  t.is(a.m.view.get('x')?.status, 'alive')
  a.takePublished()
  a.fire('sweep', 100_500)
  t.deepEqual(a.takePublished(), [], 'no suspicion of x at 2: it was vouched for 500 ms ago')
  t.is(a.m.view.get('x')?.status, 'alive')
})
