import test from 'ava'
import { Driven, gossip, load, record } from './fixtures.js'

// TopicGuard exempts the gossip of reached members from its forwarders' budget: a fresh key must not get there by
// signing its own heartbeat, which costs it nothing; a stream from it costs it a connection.

test('a member that only signed its own heartbeat is confirmed but not reached', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('w', gossip(record('w', 'alive')), 10)
  t.deepEqual([a.m.view.isLive('w'), a.m.view.get('w')?.confirmed, a.m.view.get('w')?.reached], [true, true, false])
  a.receive('b', gossip(record('r', 'alive')), 20)
  t.deepEqual([a.m.view.isLive('r'), a.m.view.get('r')?.reached], [true, false], 'nor is a rumour')
})

test('a member is reached by its ping, its join or its own ack to a probe', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('p', { type: 'ping', seq: 1, incarnation: 0, load }, 10)
  a.receive('j', { type: 'join', incarnation: 0, load }, 20)
  t.deepEqual([a.m.view.get('p')?.reached, a.m.view.get('j')?.reached], [true, true])

  const b = Driven.node('b', { seeds: [] }).start(0)
  b.receive('y', gossip(record('y', 'alive')), 10)
  b.takeSent()
  b.advance(2000)
  const probe = b.takeSent().find(s => s.to === 'y' && s.message.type === 'ping')
  if (probe?.message.type !== 'ping') return t.fail('b probes y')
  t.false(b.m.view.get('y')?.reached)
  b.receive('y', { type: 'ack', seq: probe.message.seq, subject: 'y', incarnation: 0, load }, b.now + 1)
  t.true(b.m.view.get('y')?.reached)
  b.receive('y', gossip(record('y', 'alive', 1)), b.now + 1)
  t.true(b.m.view.get('y')?.reached, 'and stays so')
})
