import test from 'ava'
import { suspicionTimeoutMs } from '../../../protocols/membership/index.js'
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

test('a suspicion moved to a later incarnation runs its own full timeout, not what was left of the earlier one', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  for (const peer of ['c', 'd', 'x']) a.receive(peer, gossip(record(peer, 'alive', 1)), 1)
  const timeout = suspicionTimeoutMs(a.m.config, a.m.view.liveCount + 1)
  a.receive('c', gossip(record('x', 'suspect', 1)), 1000)
  // x refuted at 2 (a missed it) and d suspects it again, just before a's first timer would end
  const again = 1000 + timeout - 500
  a.receive('d', gossip(record('x', 'suspect', 2)), again)
  t.is(a.timers.get('suspect:x'), again + timeout)
  a.advance(1000 + timeout + 100)
  t.is(a.m.view.get('x')?.status, 'suspect', 'x has had 600 ms to refute its second suspicion, not the whole timeout')
  a.advance(again + timeout)
  t.deepEqual([a.m.view.get('x')?.status, a.m.view.get('x')?.incarnation], ['dead', 2])
})

test('a node that suspected one incarnation leaves the death of a later one to the node that suspected that', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('x', gossip(record('x', 'alive', 1)), 1)
  // a's own probes of x go unanswered: a suspects x at 1
  a.advance(3000)
  t.deepEqual(a.takePublished().filter(r => r.peer === 'x'), [record('x', 'suspect', 1)])
  a.receive('d', gossip(record('x', 'suspect', 2)), 3100)
  a.advance(3100 + suspicionTimeoutMs(a.m.config, 2))
  t.is(a.m.view.get('x')?.status, 'dead')
  t.deepEqual(a.takePublished().filter(r => r.peer === 'x'), [], 'd declares the death of the suspicion it raised')
})
