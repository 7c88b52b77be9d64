import test from 'ava'
import { MAX_SILENT_PASS_MS, SHUN_FORGER_MS, STEAL_ANSWER_WAIT_MS, StealTargets } from '../../../protocols/jobs/steal-targets.js'
import type { MemberInfo, MembershipView } from '../../../protocols/membership/index.js'

const BACKOFF = 300

/** A membership view where each named peer has that many units queued (busiest first). */
function viewOf (queued: Record<string, number>): MembershipView {
  const members = Object.entries(queued).sort(([, a], [, b]) => b - a).map(([peer, q]) => ({ peer, status: 'alive', load: { queued: q, running: 0 } }) as unknown as MemberInfo)
  return { busiest: (limit: number) => members.slice(0, limit) } as unknown as MembershipView
}

/**
 * An idle worker from `from` to `to`: it tries to ask every `BACKOFF` ms, and the neighbours in `gives` answer at
 * once with a ticket (the others never answer). Lists whom it asked, '-' for a tick it asked nobody.
 */
function idleWorker (targets: StealTargets, view: MembershipView, from: number, to: number, gives: ReadonlySet<string>): string[] {
  const asked: string[] = []
  for (let now = from; now < to; now += BACKOFF) {
    const peer = targets.next(view, now)
    asked.push(peer ?? '-')
    if (peer !== undefined && gives.has(peer)) targets.answered(peer, 1, now)
  }
  return asked
}

test('an idle worker asks the busiest neighbour, if it has two or more units queued', t => {
  t.is(new StealTargets('me', BACKOFF).next(viewOf({ a: 1, b: 7, c: 3 }), 0), 'b')
  t.is(new StealTargets('me', BACKOFF).next(viewOf({ a: 1 }), 0), undefined)
})

test('a neighbour that never answers is waited for, then passed over longer each time, and the really busy one is asked meanwhile', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ hollow: 42, busy: 6 })
  const asked = idleWorker(targets, view, 0, 9000, new Set(['busy']))
  // each time hollow is waited for 1 s, then passed over 300, 600, 1200, 2400 ms: busy is asked every tick in between
  t.is(asked.map(p => p[0]).join(''), 'h---bh---bbh---bbbbh---bbbbbbb', 'h: hollow, b: busy, -: waiting for an answer')
  const later = idleWorker(targets, view, 9000, 9000 + 60_000, new Set(['busy']))
  t.true(later.filter(p => p === 'hollow').length <= 60_000 / MAX_SILENT_PASS_MS + 1, 'at most once per 10 s once it has given nothing for long')
})

test('a late answer still counts, as long as nobody else was asked since', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ slow: 9 })
  t.is(targets.next(view, 0), 'slow')
  t.is(targets.next(view, 300), undefined, 'waiting for slow\'s answer')
  t.is(targets.next(view, 600), undefined)
  t.true(targets.answered('slow', 3, 700), 'its answer, 700 ms late, is taken')
  t.is(targets.next(view, 900), 'slow', 'asked again at once: it gave')
})

test('an empty answer moves the worker on at once; a run of them backs off like silence, and tickets clear it', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ a: 9, b: 4 })
  t.is(targets.next(view, 0), 'a')
  t.true(targets.answered('a', 0, 10))
  t.is(targets.next(view, 300), 'b', 'a gave nothing: passed over one backoff')
  t.true(targets.answered('b', 2, 310))
  t.is(targets.next(view, 600), 'a')
  t.true(targets.answered('a', 0, 610))
  t.is(targets.next(view, 900), 'b', 'a gave nothing twice: passed over 600 ms')
  t.true(targets.answered('b', 2, 910))
  t.is(targets.next(view, 1200), 'b', 'a passed over until 1210')
  t.true(targets.answered('b', 2, 1200))
  t.is(targets.next(view, 1500), 'a', 'back once its 600 ms are over')
  t.true(targets.answered('a', 5, 1510))
  t.is(targets.next(view, 1800), 'a', 'it gave: asked again')
})

test('a neighbour that gave forged tickets is passed over for a minute', t => {
  const targets = new StealTargets('me', BACKOFF)
  const view = viewOf({ forger: 40, busy: 5 })
  t.is(targets.next(view, 0), 'forger')
  t.true(targets.answered('forger', 8, 0))
  targets.shun('forger', 0)
  for (const now of [100, SHUN_FORGER_MS - 1]) {
    t.is(targets.next(view, now), 'busy')
    t.true(targets.answered('busy', 1, now))
  }
  t.is(targets.next(view, SHUN_FORGER_MS), 'forger')
})

test('only the neighbour asked can answer, once', t => {
  const targets = new StealTargets('me', BACKOFF)
  t.is(targets.next(viewOf({ a: 9 }), 0), 'a')
  t.false(targets.answered('x', 4, 1))
  t.true(targets.answered('a', 4, 2))
  t.false(targets.answered('a', 4, 3), 'one answer per request')
  t.true(STEAL_ANSWER_WAIT_MS > BACKOFF)
})
