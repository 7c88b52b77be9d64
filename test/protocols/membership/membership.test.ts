import test from 'ava'
import { Xoshiro128 } from '../../../protocols/core/index.js'
import type { Effect } from '../../../protocols/core/index.js'
import {
  DEFAULT_MEMBERSHIP_CONFIG, MEMBERSHIP_PROTOCOL, MEMBERSHIP_TOPIC, Membership, MemberTable, membershipCodec, suspicionTimeoutMs
} from '../../../protocols/membership/index.js'
import type { MembershipConfig, MembershipMessage } from '../../../protocols/membership/index.js'

const load = { capacity: 4, running: 1, queued: 2, cacheBytes: 1000 }

function node (self: string, seed = 1): Membership {
  return new Membership({ self, seeds: ['a'], random: new Xoshiro128(seed), load })
}

function sends (effects: Effect[]): Array<{ to: string, message: MembershipMessage }> {
  return effects.flatMap(e => e.kind === 'send' ? [{ to: e.to, message: membershipCodec.decode(e.bytes) }] : [])
}

function publishes (effects: Effect[]): MembershipMessage[] {
  return effects.flatMap(e => e.kind === 'publish' ? [membershipCodec.decode(e.bytes)] : [])
}

function timers (effects: Effect[]): Map<string, number> {
  return new Map(effects.flatMap(e => e.kind === 'setTimer' ? [[e.key, e.at] as [string, number]] : []))
}

/** Teaches `m` about `peer` through its heartbeat. */
function hearHeartbeat (m: Membership, peer: string, incarnation: number, now: number): void {
  const bytes = membershipCodec.encode({ type: 'gossip', updates: [{ peer, status: 'alive', incarnation, load }] })
  m.onMessage(peer, MEMBERSHIP_TOPIC, bytes, now)
}

test('start publishes a heartbeat, joins through a seed and arms its timers', t => {
  const b = node('b')
  b.start(0)
  const effects = b.drainEffects()
  t.deepEqual(publishes(effects), [{ type: 'gossip', updates: [{ peer: 'b', status: 'alive', incarnation: 0, load }] }])
  t.deepEqual(sends(effects).map(s => [s.to, s.message.type]), [['a', 'join']])
  t.deepEqual([...timers(effects).keys()].sort(), ['heartbeat', 'join', 'probe', 'sweep'])
})

test('a ping is answered with an ack carrying incarnation and load; the pinger enters the view', t => {
  const a = node('a')
  a.start(0)
  a.drainEffects()
  const ping = membershipCodec.encode({ type: 'ping', seq: 5, incarnation: 3, load })
  t.is(a.onMessage('b', MEMBERSHIP_PROTOCOL, ping, 10), 'accept')
  t.deepEqual(sends(a.drainEffects()), [{ to: 'b', message: { type: 'ack', seq: 5, subject: 'a', incarnation: 0, load, digest: a.view.aliveDigest } }])
  t.is(a.view.get('b')?.status, 'alive')
  t.deepEqual(a.view.get('b')?.load, load)
  t.deepEqual(a.view.busiest(1).map(m => m.peer), ['b'])
})

test('an unanswered probe goes indirect, then suspect, then dead after the suspicion timeout', t => {
  const a = node('a')
  a.start(0)
  for (const peer of ['b', 'c', 'd', 'e']) hearHeartbeat(a, peer, 0, 1)
  a.drainEffects()
  a.onTimer('probe', 1000)
  const probe = sends(a.drainEffects()).find(s => s.message.type === 'ping')
  t.truthy(probe)
  const target = probe?.to as string
  a.onTimer('ack', 1400)
  const indirect = sends(a.drainEffects())
  t.is(indirect.length, 3)
  t.true(indirect.every(s => s.message.type === 'ping-req' && s.message.target === target && s.to !== target))
  a.onTimer('probe', 2000)
  const suspected = a.drainEffects()
  t.deepEqual(publishes(suspected)[0], { type: 'gossip', updates: [{ peer: target, status: 'suspect', incarnation: 0, load }] })
  const deadline = timers(suspected).get(`suspect:${target}`)
  t.is(deadline, 2000 + suspicionTimeoutMs(a.config, 5))
  t.is(a.view.get(target)?.status, 'suspect')
  a.onTimer(`suspect:${target}`, deadline as number)
  t.deepEqual(publishes(a.drainEffects()), [{ type: 'gossip', updates: [{ peer: target, status: 'dead', incarnation: 0, load }] }])
  t.false(a.view.isLive(target))
})

test('a node told it is suspect refutes once with a higher incarnation', t => {
  const b = node('b')
  b.start(0)
  b.drainEffects()
  const rumour = membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'b', status: 'suspect', incarnation: 0, load }] })
  b.onMessage('c', MEMBERSHIP_TOPIC, rumour, 50)
  t.deepEqual(publishes(b.drainEffects()), [{ type: 'gossip', updates: [{ peer: 'b', status: 'alive', incarnation: 1, load }] }])
  b.onMessage('d', MEMBERSHIP_TOPIC, rumour, 60)
  t.deepEqual(b.drainEffects(), [], 'a duplicate or stale rumour changes nothing')
  t.is(b.currentIncarnation, 1)
})

test('a rumour near the largest incarnation is ignored: the node could not refute the next one', t => {
  const b = node('b')
  b.start(0)
  b.drainEffects()
  const top = 2 ** 32 - 1
  b.onMessage('c', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'b', status: 'dead', incarnation: top, load }] }), 50)
  t.is(b.currentIncarnation, 0)
  t.deepEqual(publishes(b.drainEffects()), [])
})

test('a ping carrying a record about someone else is not taken as news about the receiver', t => {
  const b = node('b')
  b.start(0)
  b.drainEffects()
  b.onMessage('c', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'ping', seq: 1, incarnation: 0, load, about: { peer: 'x', status: 'dead', incarnation: 7, load } }), 50)
  t.is(b.currentIncarnation, 0, 'no refutation of a death that was not its own')
  t.deepEqual(publishes(b.drainEffects()), [])
})

test('a helper relays an indirect probe and forwards the ack to the requester', t => {
  const c = node('c')
  c.start(0)
  hearHeartbeat(c, 'a', 0, 1)
  hearHeartbeat(c, 'b', 0, 1)
  c.drainEffects()
  c.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'ping-req', seq: 41, target: 'b' }), 5)
  const [ping] = sends(c.drainEffects())
  t.is(ping?.to, 'b')
  t.is(ping?.message.type, 'ping')
  const seq = ping?.message.type === 'ping' ? ping.message.seq : -1
  c.onMessage('b', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'ack', seq, subject: 'b', incarnation: 2, load }), 9)
  t.deepEqual(sends(c.drainEffects()), [{ to: 'a', message: { type: 'ack', seq: 41, subject: 'b', incarnation: 2, load } }])
  c.onMessage('b', MEMBERSHIP_PROTOCOL, membershipCodec.encode({ type: 'ack', seq, subject: 'b', incarnation: 2, load }), 10)
  t.deepEqual(sends(c.drainEffects()), [], 'a duplicated ack is not relayed twice')
})

test('malformed bytes are rejected and counted, and change nothing', t => {
  const a = node('a')
  a.start(0)
  a.drainEffects()
  t.is(a.onMessage('b', MEMBERSHIP_TOPIC, Uint8Array.of(1, 99, 0), 1), 'reject')
  t.is(a.onMessage('b', MEMBERSHIP_TOPIC, Uint8Array.of(9), 1), 'reject')
  t.is(a.rejected, 2)
  t.deepEqual(a.drainEffects(), [])
  t.is(a.view.liveCount, 0)
})

test('the member table follows SWIM precedence whatever the delivery order', t => {
  const table = new MemberTable()
  const r = (status: 'alive' | 'suspect' | 'dead', incarnation: number) => ({ peer: 'x', status, incarnation, load })
  t.is(table.apply(r('alive', 1), 0), 'new')
  t.is(table.apply(r('suspect', 1), 1), 'status')
  t.is(table.apply(r('alive', 1), 2), 'stale', 'same incarnation: suspect beats alive')
  t.is(table.apply(r('alive', 2), 3), 'status', 'a refutation wins')
  t.is(table.apply(r('dead', 2), 4), 'status')
  t.is(table.apply(r('suspect', 2), 5), 'stale', 'dead beats suspect')
  t.is(table.apply(r('alive', 2), 6), 'stale', 'a stale alive cannot resurrect')
  t.is(table.deadCount, 1)
  t.is(table.apply(r('alive', 3), 7), 'status')
  t.is(table.deadCount, 0)
  t.is(table.aliveCount, 1)
})

test('a joiner asks again until every part of a welcome has arrived', t => {
  const b = node('b')
  b.start(0)
  b.drainEffects()
  const part = (p: number, peer: string): Uint8Array => membershipCodec.encode({ type: 'welcome', part: p, parts: 2, members: [{ peer, status: 'alive', incarnation: 0, load }] })
  b.onMessage('a', MEMBERSHIP_PROTOCOL, part(0, 'a'), 10)
  t.is(b.view.get('a')?.status, 'alive', 'a part is merged even when others are missing')
  b.onTimer('join', 2000)
  t.true(sends(b.drainEffects()).some(s => s.message.type === 'join'), 'a lost part means asking again')
  b.onMessage('a', MEMBERSHIP_PROTOCOL, part(1, 'c'), 2010)
  t.is(b.view.get('c')?.status, 'alive')
  b.onTimer('join', 4000)
  t.deepEqual(sends(b.drainEffects()), [], 'a complete welcome ends joining')
})

/** `a`, a seed that has heard from c, d and e. */
function seedNode (config: Partial<MembershipConfig> = {}): Membership {
  const a = new Membership({ self: 'a', seeds: ['a'], random: new Xoshiro128(2), load, config })
  a.start(0)
  for (const peer of ['c', 'd', 'e']) hearHeartbeat(a, peer, 0, 1)
  a.drainEffects()
  return a
}

const joinFrom = (incarnation = 0): Uint8Array => membershipCodec.encode({ type: 'join', incarnation, load })
const welcomesTo = (m: Membership, peer: string): number => sends(m.drainEffects()).filter(s => s.to === peer && s.message.type === 'welcome').length

test('a node answers one join per joiner per interval, however fast the joins come; another joiner is answered meanwhile', t => {
  const a = seedNode({ joinAnswerIntervalMs: 500 })
  let answered = 0
  for (let at = 100; at < 100 + 10 * 500; at += 5) {
    a.onMessage('x', MEMBERSHIP_PROTOCOL, joinFrom(), at)
    answered += welcomesTo(a, 'x')
  }
  t.is(answered, 10, '1,000 joins over 10 intervals of 500 ms: one welcome (a single part) each interval')
  t.is(a.joinsRefused, 990)
  t.is(a.view.get('x')?.status, 'alive', 'a refused join still shows the joiner alive')
  a.onMessage('y', MEMBERSHIP_PROTOCOL, joinFrom(), 100 + 10 * 500 - 3)
  t.is(welcomesTo(a, 'y'), 1, 'another joiner is answered meanwhile')
})

interface JoinRun { joins: number, answered: number, answeredAt?: number }

/**
 * Runs b's joining through seed a from `startAt` until b stops asking: join number i (from 0) reaches a `delay(i)` ms
 * after b sent it; a's welcome reaches b a millisecond later, except the first one's when `loseFirst`.
 */
function joinThrough (a: Membership, b: Membership, startAt: number, delay: (i: number) => number, loseFirst: boolean): JoinRun {
  const run: JoinRun = { joins: 0, answered: 0 }
  let effects = b.drainEffects()
  let now = startAt
  while (run.joins < 10 && sends(effects).some(s => s.to === 'a' && s.message.type === 'join')) {
    const arrival = now + delay(run.joins)
    run.joins++
    a.onMessage('b', MEMBERSHIP_PROTOCOL, joinFrom(b.currentIncarnation), arrival)
    const welcomes = sends(a.drainEffects()).filter(s => s.to === 'b' && s.message.type === 'welcome')
    if (welcomes.length > 0) {
      run.answered++
      run.answeredAt = now
    }
    if (!loseFirst || run.joins > 1) for (const w of welcomes) b.onMessage('a', MEMBERSHIP_PROTOCOL, membershipCodec.encode(w.message), arrival + 1)
    const retry = timers(effects).get('join')
    if (retry === undefined) break
    now = retry
    b.onTimer('join', now)
    effects = b.drainEffects()
  }
  return run
}

test('a joiner whose welcome was lost is answered when it asks again, however its retry is jittered and the first join delayed', t => {
  for (let seed = 1; seed <= 30; seed++) {
    const a = seedNode()
    const b = new Membership({ self: 'b', seeds: ['a'], random: new Xoshiro128(seed), load })
    b.start(1000)
    // the lost join took 400 ms to arrive, its retry none: the two arrive closer together than they were sent
    const run = joinThrough(a, b, 1000, i => i === 0 ? 400 : 0, true)
    t.deepEqual([run.joins, run.answered], [2, 2], `seed ${seed}: the retry is answered`)
    t.is(b.view.get('c')?.status, 'alive', `seed ${seed}: b holds the table`)
    t.is(a.joinsRefused, 0)
  }
})

test('a node that restarts just after it joined is refused once, then answered at its first retry', t => {
  for (let seed = 1; seed <= 30; seed++) {
    const a = seedNode()
    const first = new Membership({ self: 'b', seeds: ['a'], random: new Xoshiro128(seed), load })
    first.start(1000)
    t.is(joinThrough(a, first, 1000, () => 5, false).answered, 1)
    const b = new Membership({ self: 'b', seeds: ['a'], random: new Xoshiro128(seed + 100), load, restoredIncarnation: first.currentIncarnation })
    b.start(1100)
    const run = joinThrough(a, b, 1100, () => 5, false)
    t.deepEqual([run.joins, run.answered], [2, 1], `seed ${seed}: the join 100 ms after the last answer is refused, the retry answered`)
    const retryAfter = (run.answeredAt ?? Infinity) - 1100
    t.true(retryAfter < 1.5 * DEFAULT_MEMBERSHIP_CONFIG.joinRetryMs, `seed ${seed}: the retry came ${retryAfter} ms after the restart`)
    t.is(b.view.get('c')?.status, 'alive')
    t.is(a.joinsRefused, 1)
  }
})

test('a member dead for longer than the retention is forgotten at the next sweep; its heartbeat brings it back', t => {
  const a = new Membership({ self: 'a', seeds: [], random: new Xoshiro128(1), load, config: { deadRetentionMs: 60_000 } })
  a.start(0)
  hearHeartbeat(a, 'b', 0, 1)
  a.onMessage('c', MEMBERSHIP_TOPIC, membershipCodec.encode({ type: 'gossip', updates: [{ peer: 'b', status: 'dead', incarnation: 0, load }] }), 1000)
  a.onTimer('sweep', 30_000)
  t.is(a.members.get('b')?.status, 'dead', 'kept while within the retention')
  a.onTimer('sweep', 61_001)
  t.is(a.members.get('b'), undefined)
  t.is(a.members.deadCount, 0)
  hearHeartbeat(a, 'b', 1, 62_000)
  t.is(a.view.get('b')?.status, 'alive')
})

test('in a mesh of 11 a member heartbeats about every 2 s, not every 1.1 s: its peers hear ~5 heartbeats a second, half the gossip of an idle node', t => {
  const a = node('a')
  a.start(0)
  for (const peer of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']) hearHeartbeat(a, peer, 0, 1)
  let at = timers(a.drainEffects()).get('heartbeat') ?? 0
  const beats: number[] = []
  while (at < 120_000) {
    a.onTimer('heartbeat', at)
    const effects = a.drainEffects()
    if (publishes(effects).some(m => m.type === 'gossip' && m.updates.some(r => r.peer === 'a'))) beats.push(at)
    at = timers(effects).get('heartbeat') ?? Infinity
  }
  const gaps = beats.slice(1).map((b, i) => b - beats[i]!)
  t.true(Math.min(...gaps) >= 1500, `shortest gap ${Math.min(...gaps)} ms: each beat waits 0.75–1.25 of a 2 s interval`)
  t.true(beats.length >= 120 / 2.5 && beats.length <= 120 / 1.5, `${beats.length} heartbeats in 120 s`)
})

test('a node that starts beats again within a probe period, whatever its steady heartbeat interval', t => {
  for (let seed = 1; seed <= 20; seed++) {
    const b = node('b', seed)
    b.start(0)
    const at = timers(b.drainEffects()).get('heartbeat') ?? Infinity
    t.true(at >= 1 && at <= DEFAULT_MEMBERSHIP_CONFIG.probeIntervalMs, `seed ${seed}: second beat at ${at} ms`)
  }
})
