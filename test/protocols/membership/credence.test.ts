import test from 'ava'
import { MAX_INCARNATION_STEP, MAX_VOUCHED_INCARNATION } from '../../../protocols/membership/credence.js'
import { Driven, gossip, load, record, welcome } from './fixtures.js'

const TOP = 2 ** 32 - 1

/** a, holding v alive at incarnation 3 and f (the forger) alive. */
function observer (): Driven {
  const a = Driven.node('a', { seeds: [] }).start(0)
  a.receive('v', gossip(record('v', 'alive', 3)), 1)
  a.receive('f', gossip(record('f', 'alive')), 1)
  return a
}

test('one forged death at the largest incarnation neither kills a peer elsewhere nor leaves it unable to refute', t => {
  const a = observer()
  a.receive('f', gossip(record('v', 'dead', TOP)), 100)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.incarnation], ['alive', 3])
  t.is(a.m.incredible, 1)

  const v = Driven.node('v', { seeds: [], restoredIncarnation: 2 }).start(0)
  v.takePublished()
  v.receive('f', gossip(record('v', 'dead', TOP)), 100)
  t.is(v.m.currentIncarnation, 3, 'v does not jump to where it could not refute again')
  v.receive('a', gossip(record('v', 'suspect', 3)), 200)
  t.deepEqual(v.takePublished(), [record('v', 'alive', 4)], 'and refutes a real suspicion as ever')
})

test('no other peer moves a node past the vouched bound: restarted from the clock, it takes back where it is held', t => {
  const V = MAX_VOUCHED_INCARNATION
  // f raises v to the bound (an alive record about v is taken from anyone), then forges v's death there
  const v = Driven.node('v', { seeds: [], restoredIncarnation: 2 }).start(0)
  v.receive('f', gossip(record('v', 'alive', V)), 100)
  v.receive('f', gossip(record('v', 'dead', V)), 200)
  t.true(v.m.currentIncarnation <= V, 'v does not refute past the bound')
  const a = observer()
  a.receive('f', gossip(record('v', 'alive', V)), 100)
  a.receive('f', gossip(record('v', 'dead', V)), 200)
  for (const r of v.takePublished()) a.receive('v', gossip(r), 300)
  const held = a.m.view.get('v')?.incarnation ?? Infinity
  t.true(held <= V, 'others hold v within the bound')
  // v restarts, its incarnation from the clock: the welcome's record about it lets it catch up, and it refutes a death there
  const restarted = Driven.node('v', { seeds: ['a'], restoredIncarnation: 1_764_000_000 }).start(1000)
  restarted.receive('a', welcome(record('a', 'alive'), record('v', 'alive', held)), 1001)
  t.is(restarted.m.currentIncarnation, held, 'the restarted v takes the incarnation it is held at')
  restarted.takePublished()
  restarted.fire('heartbeat', 2000)
  for (const r of restarted.takePublished()) a.receive('v', gossip(r), 2000)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.lastHeard], ['alive', 2000], 'its heartbeat is current at a')
  a.receive('f', gossip(record('v', 'dead', held)), 2100)
  t.is(a.m.view.get('v')?.status, 'alive', 'and a death at the bound, which it could not refute, is taken by nobody')
})

test('a suspicion or death far above the incarnation held is refused from others; a few refutations missed are not', t => {
  const a = observer()
  a.receive('f', gossip(record('v', 'suspect', 3 + MAX_INCARNATION_STEP + 1)), 100)
  t.is(a.m.view.get('v')?.status, 'alive')
  a.receive('c', gossip(record('v', 'suspect', 3 + MAX_INCARNATION_STEP)), 200)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.incarnation], ['suspect', 3 + MAX_INCARNATION_STEP], 'v refuted unseen, and was suspected again')
})

test('a peer speaks for itself at any incarnation, and a member not held yet is taken at its incarnation', t => {
  const a = observer()
  // v restarted with an incarnation from the clock, as a node does, then left
  const restarted = 1_764_000_000
  a.receive('v', gossip(record('v', 'alive', restarted)), 100)
  a.receive('v', gossip(record('v', 'dead', restarted)), 200)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.incarnation], ['dead', restarted])
  a.receive('f', welcome(record('f', 'alive'), record('w', 'dead', restarted)), 300)
  t.is(a.m.view.get('w')?.status, 'dead', 'a tombstone of a member a never knew')
  t.is(a.m.incredible, 0)
})

test('a forged suspicion far above a node\'s incarnation does not move it next to the bound, where it could refute nothing', t => {
  const v = Driven.node('v', { seeds: [] }).start(0)
  const start = v.m.currentIncarnation
  v.takePublished()
  v.receive('f', gossip(record('v', 'suspect', MAX_VOUCHED_INCARNATION - 1)), 100)
  t.is(v.m.currentIncarnation, start, 'v does not take the forged suspicion')
  t.deepEqual(v.takePublished(), [])
  v.receive('c', gossip(record('v', 'suspect', start)), 200)
  t.deepEqual(v.takePublished(), [record('v', 'alive', start + 1)], 'and refutes a real suspicion')
  v.receive('c', gossip(record('v', 'dead', start + 1 + MAX_INCARNATION_STEP)), 300)
  t.deepEqual(v.takePublished(), [record('v', 'alive', start + 2 + MAX_INCARNATION_STEP)], 'a few refutations it missed are still refuted')
})

test('one forged alive record far above the incarnation held moves nobody\'s view of the member: in gossip, a pull answer or a relayed ack', t => {
  const V = MAX_VOUCHED_INCARNATION
  const a = observer()
  a.receive('f', gossip(record('v', 'alive', V)), 100)
  a.receive('f', welcome(record('f', 'alive'), record('v', 'alive', 3 + MAX_INCARNATION_STEP + 1)), 200)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.incarnation], ['alive', 3])
  t.is(a.m.incredible, 2)
  // a probes v, gets no ack, asks f to: f's relayed ack vouches for v at the bound
  a.fire('probe', 1000)
  let probe = a.takeSent().find(s => s.message.type === 'ping')
  if (probe?.to === 'f' && probe.message.type === 'ping') {
    a.receive('f', { type: 'ack', seq: probe.message.seq, subject: 'f', incarnation: 0, load }, 1100)
    a.fire('probe', 1200)
    probe = a.takeSent().find(s => s.message.type === 'ping')
  }
  t.is(probe?.to, 'v')
  a.fire('ack', 1400)
  const relay = a.takeSent().find(s => s.message.type === 'ping-req')
  t.is(relay?.to, 'f')
  const seq = relay?.message.type === 'ping-req' ? relay.message.seq : -1
  a.receive('f', { type: 'ack', seq, subject: 'v', incarnation: V, load }, 1500)
  t.is(a.m.view.get('v')?.incarnation, 3, 'a relayed ack is taken as a record passed on')
  a.receive('f', { type: 'ack', seq, subject: 'v', incarnation: 4, load }, 1600)
  t.is(a.m.view.get('v')?.incarnation, 4, 'and at a step or two above, taken')
  a.receive('c', gossip(record('v', 'alive', 4 + MAX_INCARNATION_STEP)), 1700)
  t.is(a.m.view.get('v')?.incarnation, 4 + MAX_INCARNATION_STEP, 'as is a record passed on after a few refutations missed')
  a.receive('v', gossip(record('v', 'alive', 1_764_000_000)), 1800)
  t.is(a.m.view.get('v')?.incarnation, 1_764_000_000, 'and the member itself, restarted from the clock, at any incarnation')
})
