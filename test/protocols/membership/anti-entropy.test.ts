import test from 'ava'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import type { Effect } from '../../../protocols/core/index.js'
import { AntiEntropy, DEFAULT_MEMBERSHIP_CONFIG, DIGEST_BUCKETS, MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, MemberTable, Membership, AnswerLimit, membershipCodec } from '../../../protocols/membership/index.js'
import type { MemberRecord, MembershipMessage } from '../../../protocols/membership/index.js'

const load = { capacity: 4, running: 1, queued: 2, cacheBytes: 1000 }
const record = (peer: string, status: MemberRecord['status'], incarnation = 0): MemberRecord => ({ peer, status, incarnation, load })

function sends (effects: Effect[]): Array<{ to: string, message: MembershipMessage }> {
  return effects.flatMap(e => e.kind === 'send' ? [{ to: e.to, message: membershipCodec.decode(e.bytes) }] : [])
}

/** A node that has joined through `a` and knows b, c, d and x alive (pullAfterMs 3 s). */
function joined (): Membership {
  const m = new Membership({ self: 'me', seeds: ['a'], random: new Xoshiro128(4), load, config: { pullAfterMs: 3000 } })
  m.start(0)
  const members = ['a', 'b', 'c', 'd', 'x'].map(peer => record(peer, 'alive'))
  m.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'welcome', part: 0, parts: 1, members }), 10)
  m.drainEffects()
  return m
}

const ping = (digest: number | undefined): Uint8Array =>
  membershipCodec.encode({ type: 'ping', seq: 1, incarnation: 0, load, ...(digest === undefined ? {} : { digest }) })

test('a pull needs a mismatch that lasted the whole wait, with no equal digest in between', t => {
  const ae = new AntiEntropy(3000)
  t.false(ae.observe(7, 7, 0), 'equal digests')
  t.false(ae.observe(7, 8, 1000), 'first mismatch starts the wait')
  t.false(ae.observe(7, 9, 3999), 'not yet 3 s')
  t.true(ae.observe(7, 9, 4000), 'mismatch for 3 s: pull')
  t.false(ae.observe(7, 9, 4500), 'a pull restarts the wait')
  t.false(ae.observe(7, 9, 7499))
  t.false(ae.observe(7, 7, 7600), 'an equal digest ends the mismatch')
  t.false(ae.observe(7, 9, 7700))
  t.false(ae.observe(7, 9, 10_699))
  t.true(ae.observe(7, 9, 10_700))
  t.is(ae.pulls, 2)
})

test('no pull while joining, and none from a message without a digest', t => {
  const ae = new AntiEntropy(3000)
  t.false(ae.observe(undefined, 8, 0))
  t.false(ae.observe(undefined, 8, 10_000), 'joining: the view is known to be partial')
  t.false(ae.observe(7, undefined, 11_000))
  t.false(ae.observe(7, 8, 12_000))
  t.false(ae.observe(7, undefined, 20_000), 'no digest is no evidence either way')
  t.true(ae.observe(7, 8, 20_001))
})

test('pings and acks carry the sender\'s alive-set digest', t => {
  const m = joined()
  m.onMessage('b', MEMBERSHIP_PROTOCOL, ping(undefined), 100)
  const [ack] = sends(m.drainEffects())
  t.is(ack?.message.type === 'ack' ? ack.message.digest : undefined, m.view.aliveDigest)
  m.onTimer('probe', 1000)
  const probe = sends(m.drainEffects()).find(s => s.message.type === 'ping')
  t.is(probe?.message.type === 'ping' ? probe.message.digest : undefined, m.view.aliveDigest)
})

test('a node shown differing digests for pullAfterMs pulls from the member that showed the last one, with its bucket digests', t => {
  const m = joined()
  const other = (m.view.aliveDigest ^ 0x5a5a) >>> 0
  m.onMessage('b', MEMBERSHIP_PROTOCOL, ping(other), 1000)
  m.onMessage('c', MEMBERSHIP_PROTOCOL, ping(other), 2500)
  t.false(sends(m.drainEffects()).some(s => s.message.type === 'pull'), 'not yet: 1.5 s of mismatch')
  m.onMessage('d', MEMBERSHIP_PROTOCOL, ping(other), 4000)
  const pulls = sends(m.drainEffects()).filter(s => s.message.type === 'pull')
  t.deepEqual(pulls.map(s => s.to), ['d'], 'one pull, from the member that showed the last digest')
  const buckets = pulls[0]?.message.type === 'pull' ? pulls[0].message.buckets : []
  t.is(buckets.length, DIGEST_BUCKETS)
  t.is(buckets.reduce((a, b) => (a ^ b) >>> 0, 0), m.view.aliveDigest, 'the buckets split the digest')
  t.is(m.pulls, 1)
  m.onMessage('b', MEMBERSHIP_PROTOCOL, ping(m.view.aliveDigest), 4100)
  m.onMessage('c', MEMBERSHIP_PROTOCOL, ping(other), 8000)
  t.false(sends(m.drainEffects()).some(s => s.message.type === 'pull'), 'an equal digest restarted the wait')
})

test('a pull is answered with the records of the buckets that differ, tombstones it saw fall included, and the puller\'s own record if held dead', t => {
  const m = joined()
  // members it heard from (a rumour is not passed on: TableAnswers)
  for (const peer of ['b', 'd', 'x']) m.onMessage(peer, MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [record(peer, 'alive')] }), 20)
  m.onMessage('c', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [record('x', 'dead'), record('b', 'suspect')] }), 50)
  m.drainEffects()
  // the puller holds x and b alive and knows nothing of d: every other bucket agrees
  const puller = new MemberTable()
  for (const peer of ['me', 'a', 'b', 'c', 'x']) puller.apply(record(peer, 'alive'), 0)
  const buckets = puller.aliveBuckets()
  m.onMessage('c', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'pull', buckets }), 100)
  const answer = sends(m.drainEffects())
  t.true(answer.every(s => s.to === 'c' && s.message.type === 'welcome'))
  const records = answer.flatMap(s => s.message.type === 'welcome' ? s.message.members : [])
  t.deepEqual(records.map(r => `${r.peer}:${r.status}`).sort(), ['b:suspect', 'd:alive', 'me:alive', 'x:dead'], 'only the differing buckets, and the answerer itself')
})


test('a node answers one pull per requester per interval, however fast the pulls come', t => {
  const m = joined()
  const interval = DEFAULT_MEMBERSHIP_CONFIG.pullAnswerIntervalMs
  // made-up digests: every bucket differs, so each answer is the whole table
  const pull = membershipCodec.encode({ type: 'pull', buckets: Array.from({ length: DIGEST_BUCKETS }, () => 1) })
  const answersTo = (peer: string): number => sends(m.drainEffects()).filter(s => s.to === peer && s.message.type === 'welcome').length
  const startedAt = 100
  let answered = 0
  for (let at = startedAt; at < startedAt + 10 * interval; at += interval / 100) {
    m.onMessage('x', MEMBERSHIP_PROTOCOL, pull, at)
    answered += answersTo('x')
  }
  t.is(answered, 10, `1,000 pulls over 10 intervals of ${interval} ms: one answer each interval (one welcome part for 6 members)`)
  t.is(m.pullsRefused, 990)
  m.onMessage('b', MEMBERSHIP_PROTOCOL, pull, startedAt + 10 * interval - 5)
  t.is(answersTo('b'), 1, 'another requester is answered meanwhile')
})

test('the table of pull requesters is bounded: once full within an interval new requesters wait, and it empties as intervals pass', t => {
  const limit = new AnswerLimit(2000, 3)
  t.true(limit.allow('a', 0))
  t.true(limit.allow('b', 500))
  t.true(limit.allow('c', 1000))
  t.false(limit.allow('d', 1500), 'three requesters answered within the interval: the table is full')
  t.false(limit.allow('a', 1999), 'a was answered 1,999 ms ago')
  t.true(limit.allow('a', 2000), 'a\'s interval is over')
  t.true(limit.allow('d', 2500), 'b\'s entry expired: room for d')
  t.is(limit.size, 3)
  t.true(limit.allow('e', 10_000))
  t.is(limit.size, 1, 'every older requester is forgotten')
  t.is(limit.refused, 2)
})

test('a pulled table repairs a missed death under the precedence rules, and never resurrects', t => {
  const m = joined()
  m.onMessage('c', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [record('c', 'alive', 1)] }), 50)
  m.drainEffects()
  const members = [record('x', 'dead'), record('b', 'suspect'), record('c', 'alive', 0), record('d', 'alive', 0)]
  m.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'welcome', part: 0, parts: 1, members }), 5000)
  t.is(m.members.get('x')?.status, 'dead', 'the death it missed')
  t.is(m.members.get('b')?.status, 'suspect', 'the suspicion it missed: its own timer runs from now')
  t.deepEqual([m.members.get('c')?.status, m.members.get('c')?.incarnation], ['alive', 1], 'an older record changes nothing')
  m.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'welcome', part: 0, parts: 1, members: [record('x', 'alive', 0)] }), 6000)
  t.is(m.members.get('x')?.status, 'dead', 'an alive record at the dead incarnation does not resurrect')
})

test('a member this node heard from, held dead here but alive in the pulled table, is pinged with the verdict at once (a rumour is not)', t => {
  const m = joined()
  m.onMessage('x', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [record('x', 'alive')] }), 20)
  m.onMessage('c', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [record('x', 'dead'), record('d', 'dead')] }), 50)
  m.drainEffects()
  const members = [record('x', 'alive'), record('b', 'alive'), record('d', 'alive')]
  m.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'welcome', part: 0, parts: 1, members }), 5000)
  const pings = sends(m.drainEffects()).filter(s => s.message.type === 'ping')
  t.deepEqual(pings.map(s => s.to), ['x'])
  t.deepEqual(pings[0]?.message.type === 'ping' ? pings[0].message.about : undefined, record('x', 'dead'))
  t.is(m.members.get('x')?.status, 'dead', 'still dead until x itself refutes')
})
