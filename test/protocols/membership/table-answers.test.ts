import test from 'ava'
import { Driven, gossip, record } from './fixtures.js'

const RETENTION = 3_600_000

/** The peers and statuses of the welcome `a` sends `joiner` when it asks at `at`. */
function welcomeTo (a: Driven, joiner: string, at: number): string[] {
  a.receive(joiner, { type: 'join', incarnation: 0, load: record(joiner, 'alive').load }, at)
  return a.takeSent().flatMap(s => s.to === joiner && s.message.type === 'welcome' ? s.message.members.map(r => `${r.peer}:${r.status}`) : [])
}

test('a node that saw a member die passes its tombstone on to joiners for half the retention, and keeps it the whole retention', t => {
  const a = Driven.node('a', { seeds: ['a'], config: { deadRetentionMs: RETENTION } }).start(0)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('c', gossip(record('x', 'dead')), 1000)
  t.true(welcomeTo(a, 'j1', 1000 + RETENTION / 2 - 1).includes('x:dead'))
  t.false(welcomeTo(a, 'j2', 1000 + RETENTION / 2).some(r => r.startsWith('x:')))
  t.is(a.m.members.get('x')?.status, 'dead')
})

test('a joiner does not pass on the tombstones it was given: joins in an active mesh cannot keep one going round for good', t => {
  const a = Driven.node('a', { seeds: ['a'], config: { deadRetentionMs: RETENTION } }).start(0)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('c', gossip(record('x', 'dead')), 1000)
  const j1 = Driven.node('j1', { seeds: ['a'], config: { deadRetentionMs: RETENTION } }).start(2000)
  for (const join of j1.takeSent()) a.receive('j1', join.message, 2000)
  for (const part of a.takeSent().filter(s => s.to === 'j1')) j1.receive('a', part.message, 2001)
  t.is(j1.m.members.get('x')?.status, 'dead', 'j1 learns of the death from a')
  // a joiner asking j1 just before j1 would forget it (it used to pass it on, restarting its retention)
  t.false(welcomeTo(j1, 'j2', 2001 + RETENTION - 1).some(r => r.startsWith('x:')), 'and passes it on to nobody')
})

/** The peers and statuses of the answer `a` sends `puller` when it pulls with bucket digests no view has at `at` (every bucket differs). */
function pullAnswerTo (a: Driven, puller: string, at: number): string[] {
  a.receive(puller, { type: 'pull', buckets: Array.from({ length: 64 }, () => 1) }, at)
  return a.takeSent().flatMap(s => s.to === puller && s.message.type === 'welcome' ? s.message.members.map(r => `${r.peer}:${r.status}`) : [])
}

test('a pull is answered with the tombstones a join would get: a reaped tombstone does not come back from a node that got it second-hand', t => {
  const config = { deadRetentionMs: RETENTION }
  const a = Driven.node('a', { seeds: ['a'], config }).start(0)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('c', gossip(record('x', 'dead')), 1000)
  t.true(pullAnswerTo(a, 'p1', 2000).includes('x:dead'), 'a saw x die: it passes the death on to a puller')
  t.false(pullAnswerTo(a, 'p2', 1000 + RETENTION / 2).some(r => r.startsWith('x:')), 'but for half the retention only')
  // j joins at 30 min and gets the tombstone from a node that saw x die; a pull from j after a reaped x gets none
  const j = Driven.node('j', { seeds: ['b'], config }).start(RETENTION / 2)
  j.receive('b', { type: 'welcome', part: 0, parts: 1, members: [record('b', 'alive'), record('x', 'dead')] }, RETENTION / 2)
  t.is(j.m.members.get('x')?.status, 'dead')
  t.false(pullAnswerTo(j, 'a', RETENTION + 5 * 60_000).some(r => r.startsWith('x:')), 'j got the tombstone second-hand: it passes it on to no puller')
})

test('answers pass on live members this node heard from, not rumours: a made-up peer does not go round honest nodes after its forgers stop', t => {
  const a = Driven.node('a', { seeds: ['a'] }).start(0)
  a.receive('x', gossip(record('x', 'alive')), 1)
  a.receive('f', gossip(record('ghost', 'alive', 830), record('y', 'suspect')), 2)
  t.true(a.m.view.isLive('ghost'), 'a holds the rumour')
  for (const answer of [pullAnswerTo(a, 'p', 3000), welcomeTo(a, 'j', 3000)]) {
    t.true(answer.includes('x:alive'), 'a member a heard from is passed on')
    t.false(answer.some(r => r.startsWith('ghost:') || r.startsWith('y:')), 'a rumour, alive or suspect, is not')
  }
  // the puller held the rumour's tombstone at a lower incarnation (from a forger's welcome): taking the alive record
  // from an honest answer would start its silence anew, 157 s after the forgers stopped at 1,000 nodes (seed 1)
  const p = Driven.node('p', { seeds: ['a'] }).start(0)
  p.receive('f', { type: 'welcome', part: 0, parts: 1, members: [record('f', 'alive'), record('ghost', 'dead', 825)] }, 5)
  a.receive('p', { type: 'pull', buckets: Array.from({ length: 64 }, () => 1) }, 6000)
  for (const part of a.takeSent().filter(s => s.to === 'p')) p.receive('a', part.message, 6002)
  t.is(p.m.members.get('ghost')?.status, 'dead', 'p keeps the rumour dead')
})

test('joins and pulls from 128 peers never heard from before turn away a new 129th, not a member that pulls or rejoins', t => {
  const a = Driven.node('a', { seeds: ['a'] }).start(0)
  for (const member of ['b', 'c']) a.receive(member, gossip(record(member, 'alive')), 1)
  for (let i = 0; i < 128; i++) welcomeTo(a, `new${i}`, 1000)
  for (let i = 0; i < 128; i++) pullAnswerTo(a, `puller${i}`, 1000)
  t.deepEqual(welcomeTo(a, 'new128', 1001), [], 'the answer limit for requesters never heard from is full')
  t.true(pullAnswerTo(a, 'b', 1002).includes('a:alive'), 'a member that pulls is answered')
  t.true(welcomeTo(a, 'c', 1003).includes('a:alive'), 'a member that joins again (it restarted) is welcomed')
  t.is(a.m.joinsRefused, 1)
  t.is(a.m.pullsRefused, 0)
})

test('a joiner answered as a newcomer is not answered again within the interval as the member it became', t => {
  const a = Driven.node('a', { seeds: ['a'], config: { joinAnswerIntervalMs: 500 } }).start(0)
  t.true(welcomeTo(a, 'j', 1000).length > 0)
  t.deepEqual(welcomeTo(a, 'j', 1100), [])
  t.true(welcomeTo(a, 'j', 1501).length > 0, 'the next interval')
})
