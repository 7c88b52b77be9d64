import test from 'ava'
import { isReachedMember } from '../../../node/mesh/mesh.js'
import { Driven, gossip, load, record } from '../../protocols/membership/fixtures.js'

test('the members TopicGuard exempts from forwarder budgets: live and reached over a stream only', t => {
  t.false(isReachedMember(undefined, 'p'), 'nobody before membership starts')
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('w', gossip(record('w', 'alive')), 10)
  t.false(isReachedMember(a.m.view, 'w'), 'a signed heartbeat is not enough: any fresh key can sign one')
  a.receive('p', { type: 'ping', seq: 1, incarnation: 0, load }, 20)
  t.true(isReachedMember(a.m.view, 'p'))
  a.receive('w', gossip(record('p', 'dead', 1)), 30)
  t.is(a.m.view.get('p')?.status, 'dead')
  t.false(isReachedMember(a.m.view, 'p'), 'not once dead')
})
