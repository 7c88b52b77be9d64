import test from 'ava'
import { MAX_RECORDS_PER_MESSAGE } from '../../../protocols/membership/index.js'
import { MAX_RELAYS, MAX_RELAYS_PER_REQUESTER } from '../../../protocols/membership/prober.js'
import { Driven, gossip, record, welcome } from './fixtures.js'

const ack = (seq: number, subject: string, incarnation = 0) => ({ type: 'ack' as const, seq, subject, incarnation, load: record(subject, 'alive').load })

test('an ack about someone else that answers no probe is ignored: a forged one cannot bring back a member that left', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('x', gossip(record('x', 'dead')), 10) // x left
  a.receive('e', gossip(record('e', 'alive')), 20)
  for (let seq = 0; seq < 50; seq++) a.receive('e', ack(seq, 'x', 5), 100)
  t.deepEqual([a.m.view.get('x')?.status, a.m.view.get('x')?.incarnation], ['dead', 0])
  a.receive('e', ack(1, 'y', 0), 100)
  t.is(a.m.view.get('y'), undefined, 'nor make up a member')
})

test('an ack forwarded by a helper for this node\'s probe proves the target alive', t => {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('c', gossip(record('c', 'alive')), 1)
  const probedAt = a.timers.get('probe') as number
  a.advance(probedAt)
  const probe = a.takeSent().find(s => s.message.type === 'ping')
  t.truthy(probe)
  const target = probe?.to as string
  const seq = probe?.message.type === 'ping' ? probe.message.seq : -1
  const helper = target === 'x' ? 'c' : 'x'
  a.receive(helper, ack(seq, target, 0), probedAt + 500)
  a.advance(probedAt + a.m.config.probeIntervalMs)
  t.deepEqual(a.takePublished().filter(r => r.status !== 'alive'), [], 'the probe was answered: no suspicion')
})

test('a welcome full of tombstones of members never known costs no dial; a member held alive and declared dead is pinged with the verdict', t => {
  const b = Driven.node('b').start(0)
  b.takeSent()
  const tombstones = Array.from({ length: MAX_RECORDS_PER_MESSAGE - 1 }, (_, i) => record(`gone${i}`, 'dead', 3))
  b.receive('a', welcome(record('a', 'alive'), ...tombstones), 10)
  t.is(b.m.members.deadCount, MAX_RECORDS_PER_MESSAGE - 1)
  t.deepEqual(b.takeSent().filter(s => s.message.type === 'ping'), [])
  b.receive('x', gossip(record('x', 'alive')), 20)
  b.receive('c', gossip(record('x', 'dead')), 30)
  t.deepEqual(b.takeSent().filter(s => s.message.type === 'ping').map(s => s.to), ['x'])
})

const pingReq = (seq: number, target: string) => ({ type: 'ping-req' as const, seq, target })

test('a flood of ping-reqs is relayed only between members held live, and within the caps', t => {
  const c = Driven.node('c', { seeds: [] }).start(0)
  for (const peer of ['a', 'b', 'd', 'gone']) c.receive(peer, gossip(record(peer, 'alive')), 1)
  c.receive('gone', gossip(record('gone', 'dead')), 2)
  c.takeSent()
  const relayedTo = (): string[] => c.takeSent().filter(s => s.message.type === 'ping').map(s => s.to)

  for (let seq = 0; seq < 5000; seq++) c.receive('a', pingReq(seq, 'b'), 10)
  t.deepEqual(relayedTo(), ['b', 'b', 'b'], `5,000 ping-reqs from one member: ${MAX_RELAYS_PER_REQUESTER} pings`)
  c.receive('d', pingReq(1, 'b'), 11)
  t.deepEqual(relayedTo(), ['b'], 'another requester is still served')
  c.receive('stranger', pingReq(1, 'b'), 12)
  c.receive('d', pingReq(2, 'gone'), 12)
  c.receive('d', pingReq(3, 'unknown'), 12)
  t.deepEqual(relayedTo(), [], 'nothing for a requester not held live, nor to a target held dead or unknown')

  c.advance(2 * c.m.config.probeIntervalMs + 10)
  c.takeSent()
  c.receive('a', pingReq(9, 'b'), c.now)
  t.deepEqual(relayedTo(), ['b'], 'relays that were never answered expire, and the requester is served again')
})

test('ping-reqs from many members are relayed at most MAX_RELAYS at once', t => {
  const c = Driven.node('c', { seeds: [] }).start(0)
  c.receive('b', gossip(record('b', 'alive')), 1)
  for (let i = 0; i < 200; i++) c.receive(`r${i}`, gossip(record(`r${i}`, 'alive')), 1)
  c.takeSent()
  for (let i = 0; i < 200; i++) c.receive(`r${i}`, pingReq(1, 'b'), 10)
  t.is(c.takeSent().filter(s => s.message.type === 'ping').length, MAX_RELAYS)
  t.is(c.m.relaysRefused, 200 - MAX_RELAYS)
})
