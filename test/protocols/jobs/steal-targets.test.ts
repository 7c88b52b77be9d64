import test from 'ava'
import { MAX_SILENT_PASS_MS, SHUN_FORGER_MS, StealTargets } from '../../../protocols/jobs/steal-targets.js'
import type { MemberInfo, MembershipView } from '../../../protocols/membership/index.js'

const BACKOFF = 300

/** A membership view where each named peer has that many units queued (busiest first). */
function viewOf (queued: Record<string, number>): MembershipView {
  const members = Object.entries(queued).sort(([, a], [, b]) => b - a).map(([peer, q]) => ({ peer, status: 'alive', load: { queued: q, running: 0 } }) as unknown as MemberInfo)
  return { busiest: (limit: number) => members.slice(0, limit) } as unknown as MembershipView
}

/** Asks at `now` every `BACKOFF` ms from `from` to `to`, the way an idle worker does, and lists whom it asked. */
function askEvery (targets: StealTargets, view: MembershipView, from: number, to: number, answers: ReadonlySet<string> = new Set()): string[] {
  const asked: string[] = []
  for (let now = from; now < to; now += BACKOFF) {
    const peer = targets.next(view, now)
    asked.push(peer ?? '-')
    if (peer !== undefined && answers.has(peer)) targets.answered(peer)
  }
  return asked
}

test('an idle worker asks the busiest neighbour, if it has two or more units queued', t => {
  t.is(new StealTargets('me', BACKOFF).next(viewOf({ a: 1, b: 7, c: 3 }), 0), 'b')
  t.is(new StealTargets('me', BACKOFF).next(viewOf({ a: 1 }), 0), undefined)
})

test('a neighbour that leaves requests unanswered is passed over longer each time, and the really busy one is asked meanwhile', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ hollow: 42, busy: 6 })
  // silences 1, 2, 3, 4: passed over 300, 600, 1200, 2400 ms
  const asked = askEvery(targets, view, 0, 4800, new Set(['busy']))
  t.deepEqual(asked.map(p => p[0]).join(''), 'hbhbbhbbbbhbbbbb', 'h: hollow, b: busy')
  const later = askEvery(targets, view, 100_000, 100_000 + 60 * BACKOFF, new Set(['busy']))
  t.true(later.filter(p => p === 'hollow').length <= Math.ceil(60 * BACKOFF / MAX_SILENT_PASS_MS) + 1, 'at most once per 10 s once it has been silent long')
})

test('an answer clears a neighbour\'s silences: its next silence passes it over briefly again', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ a: 9, b: 4 })
  askEvery(targets, view, 0, 3000, new Set(['b'])) // a silent several times over
  t.true(targets.answered('b') === false, 'b was not the one asked last')
  t.is(targets.next(view, 20_000), 'a')
  t.true(targets.answered('a'))
  t.is(targets.next(view, 20_300), 'a', 'answered: asked again')
  t.is(targets.next(view, 20_600), 'b', 'silent once: passed over for 300 ms')
  t.true(targets.answered('b'))
  t.is(targets.next(view, 20_900), 'a')
})

test('a neighbour that gave forged tickets is passed over for a minute', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ forger: 40, busy: 5 })
  t.is(targets.next(view, 0), 'forger')
  t.true(targets.answered('forger'))
  targets.shun('forger', 0)
  for (const now of [100, SHUN_FORGER_MS - 1]) {
    t.is(targets.next(view, now), 'busy')
    t.true(targets.answered('busy'))
  }
  t.is(targets.next(view, SHUN_FORGER_MS), 'forger')
})

test('an answer from a neighbour not asked does not count', t => {
  const targets = new StealTargets('me', BACKOFF)
  t.is(targets.next(viewOf({ a: 9 }), 0), 'a')
  t.false(targets.answered('x'))
  t.true(targets.answered('a'))
  t.false(targets.answered('a'), 'one answer per request')
})
