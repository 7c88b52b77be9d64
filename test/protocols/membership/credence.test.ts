import test from 'ava'
import { MAX_INCARNATION_STEP, MAX_VOUCHED_INCARNATION, MAX_WELCOME_STEP } from '../../../protocols/membership/credence.js'
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

test('no other peer moves a node, nor others\' view of it, toward the bound: restarted from the clock, it is taken at its own', t => {
  const V = MAX_VOUCHED_INCARNATION
  // f forges v alive at the bound, then v's death there
  const v = Driven.node('v', { seeds: [], restoredIncarnation: 2 }).start(0)
  v.takePublished()
  v.receive('f', gossip(record('v', 'alive', V)), 100)
  v.receive('f', gossip(record('v', 'dead', V)), 200)
  v.receive('f', gossip(record('v', 'alive', 3 + MAX_INCARNATION_STEP + 1)), 300)
  t.is(v.m.currentIncarnation, 3, 'v takes none of it')
  t.deepEqual(v.takePublished(), [])
  const a = observer()
  a.receive('f', gossip(record('v', 'alive', V)), 100)
  a.receive('f', gossip(record('v', 'dead', V)), 200)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.incarnation], ['alive', 3], 'nor does a')
  // v restarts, its incarnation from the clock: far above where it is held, which it keeps; others take its own heartbeat
  const restarted = Driven.node('v', { seeds: ['a'], restoredIncarnation: 1_764_000_000 }).start(1000)
  restarted.receive('a', welcome(record('a', 'alive'), record('v', 'alive', 3)), 1001)
  t.is(restarted.m.currentIncarnation, 1_764_000_001)
  restarted.takePublished()
  restarted.fire('heartbeat', 2000)
  for (const r of restarted.takePublished()) a.receive('v', gossip(r), 2000)
  t.deepEqual([a.m.view.get('v')?.status, a.m.view.get('v')?.incarnation, a.m.view.get('v')?.lastHeard], ['alive', 1_764_000_001, 2000], 'its heartbeat is current at a')
  a.receive('f', gossip(record('v', 'dead', V)), 2100)
  t.is(a.m.view.get('v')?.status, 'alive', 'and a death at the bound is taken by nobody')
})

test('a node restarted from a clock behind where it is held takes that incarnation from its welcome, up to MAX_WELCOME_STEP; later, a step at most', t => {
  const C = 1_764_000_000
  const held = C + 500 // it refuted 500 times in the seconds before its restart, or its clock stepped back
  const v = Driven.node('v', { seeds: ['a'], restoredIncarnation: C }).start(0)
  v.receive('f', welcome(record('f', 'alive'), record('v', 'alive', held)), 3)
  t.is(v.m.currentIncarnation, C + 1, 'a welcome from a peer v did not ask is no answer to its join: a step at most')
  v.receive('a', { type: 'welcome', part: 0, parts: 2, members: [record('v', 'alive', C + 1 + MAX_WELCOME_STEP + 1)] }, 5)
  t.is(v.m.currentIncarnation, C + 1, 'one past the window is refused, even from the peer asked')
  v.receive('a', { type: 'welcome', part: 1, parts: 2, members: [record('a', 'alive'), record('v', 'dead', held)] }, 10)
  t.is(v.m.currentIncarnation, held + 1, 'the welcome answering its join: it refutes where it is held')
  v.receive('f', { type: 'welcome', part: 0, parts: 1, members: [record('v', 'alive', held + 1 + MAX_INCARNATION_STEP + 1)] }, 20)
  v.receive('f', gossip(record('v', 'alive', held + 1 + MAX_INCARNATION_STEP + 1)), 30)
  t.is(v.m.currentIncarnation, held + 1, 'once joined, neither a pull answer nor gossip moves it more than a step')
  v.receive('c', gossip(record('v', 'alive', held + 1 + MAX_INCARNATION_STEP)), 40)
  t.is(v.m.currentIncarnation, held + 1 + MAX_INCARNATION_STEP + 1, 'a step is taken (and one above it: a new incarnation)')
  t.is(v.m.incredible, 4)
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

test('a member not held yet, passed on far above its own incarnation, is re-based on its own first message', t => {
  const a = observer()
  a.receive('f', gossip(record('w', 'alive', MAX_VOUCHED_INCARNATION)), 100)
  t.is(a.m.view.get('w')?.incarnation, MAX_VOUCHED_INCARNATION, 'a rumour: taken at any refutable incarnation')
  a.receive('w', gossip(record('w', 'alive', 5)), 200)
  t.deepEqual([a.m.view.get('w')?.status, a.m.view.get('w')?.incarnation, a.m.view.get('w')?.confirmed], ['alive', 5, true], 'w\'s own word wins')
  a.receive('f', gossip(record('w', 'alive', MAX_VOUCHED_INCARNATION)), 300)
  a.receive('c', gossip(record('w', 'suspect', 5)), 400)
  t.deepEqual([a.m.view.get('w')?.status, a.m.view.get('w')?.incarnation], ['suspect', 5], 'held now: the forgery is refused, a real suspicion taken, for w to refute')
  a.receive('w', gossip(record('w', 'alive', 6)), 500)
  t.is(a.m.view.get('w')?.status, 'alive')
  a.receive('c', gossip(record('x', 'alive', 9)), 600)
  a.receive('x', gossip(record('x', 'alive', 9 - MAX_INCARNATION_STEP)), 700)
  t.is(a.m.view.get('x')?.incarnation, 9, 'a rumour a step or so above the member\'s word (a late message) stands')
})
