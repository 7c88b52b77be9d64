import test from 'ava'
import type { NodeEventBody } from '../../../node/events/index.js'
import { JobTracker, type TrackedUnit } from '../../../node/jobs/job-tracker.js'
import { encodeUnitReport, type UnitReport } from '../../../node/jobs/unit-report.js'

const SELF = '12D3KooWSubmitter'
const ALPHA = '12D3KooWWorkerAlpha'
const BETA = '12D3KooWWorkerBeta'
const SNAPSHOT = { id: 'cd'.repeat(32), files: 120, bytes: 80_000, newBlobs: 7, ms: 41 }
const UNITS: TrackedUnit[] = [
  { id: 'u1', name: ':core', tasks: [':core:compileJava', ':core:jar'], dependsOn: [] },
  { id: 'u2', name: ':money', tasks: [':money:compileJava', ':money:test'], dependsOn: ['u1'] },
  { id: 'u3', name: ':app', tasks: [':app:jar'], dependsOn: ['u1'] }
]

/** A tracker on a clock the test moves, with the events it emits and the onEnd calls per job. */
function setup (): { tracker: JobTracker, clock: { ms: number }, events: NodeEventBody[], ends: Map<string, number>, add: (id: string) => void } {
  const clock = { ms: Date.UTC(2026, 10, 29, 12) }
  const events: NodeEventBody[] = []
  const ends = new Map<string, number>()
  const tracker = new JobTracker(SELF, { emit: body => { events.push(body) } }, () => clock.ms)
  const add = (id: string): void => {
    tracker.add(id, { requested: ['build'], snapshot: SNAPSHOT, units: UNITS, onEnd: () => { ends.set(id, (ends.get(id) ?? 0) + 1) } })
  }
  return { tracker, clock, events, ends, add }
}

function report (unit: string, worker: string, over: Partial<UnitReport> = {}): UnitReport {
  return { worker, unit, outcome: 'success', durationMs: 1500, setupMs: 200, fetchedBytes: 4096, tasks: { executed: 2, fromCache: 1, upToDate: 0 }, ...over }
}

const summaries = (...pairs: Array<[string, UnitReport]>): Map<string, string> => new Map(pairs.map(([id, r]) => [id, encodeUnitReport(r)]))

test('a job runs from add through two terms to done: the report has the units with their workers, the terms and the times', t => {
  const { tracker, clock, events, ends, add } = setup()
  add('job-1')
  t.true(tracker.isRunning('job-1'))
  t.deepEqual(tracker.report('job-1')?.units.map(u => u.result), [undefined, undefined, undefined])
  clock.ms += 100
  tracker.granted('job-1', 1, ALPHA)
  clock.ms += 2400
  tracker.granted('job-1', 2, BETA)
  clock.ms += 500
  tracker.completed('job-1', summaries(['u1', report(':core', ALPHA)], ['u2', report(':money', BETA)], ['u3', report(':app', BETA, { tasks: { executed: 0, fromCache: 1, upToDate: 0 } })]))
  clock.ms += 9999
  const done = tracker.report('job-1')
  t.is(done?.state, 'done')
  t.is(done?.elapsedMs, 3000, 'elapsed stops at the end of the job')
  t.is(done?.startedAt, '2026-11-29T12:00:00.000Z')
  t.deepEqual(done?.requested, ['build'])
  t.deepEqual(done?.snapshot, SNAPSHOT)
  t.deepEqual(done?.terms, [{ term: 1, leader: ALPHA, atMs: 100 }, { term: 2, leader: BETA, atMs: 2500 }])
  t.deepEqual(done?.units.map(u => [u.id, u.name, u.dependsOn, u.result?.worker]), [['u1', ':core', [], ALPHA], ['u2', ':money', ['u1'], BETA], ['u3', ':app', ['u1'], BETA]])
  t.deepEqual(done?.units[2]?.result, { worker: BETA, outcome: 'success', durationMs: 1500, setupMs: 200, fetchedBytes: 4096, tasks: { executed: 0, fromCache: 1, upToDate: 0 } })
  t.is(done?.error, undefined)
  t.false(tracker.isRunning('job-1'))
  t.deepEqual([...ends], [['job-1', 1]])
  t.deepEqual(events, [{ type: 'job', jobId: 'job-1', state: 'running' }, { type: 'job', jobId: 'job-1', state: 'done' }])
})

test('commands for a job that has ended change nothing and do not end it twice', t => {
  const { tracker, events, ends, add } = setup()
  add('job-1')
  tracker.completed('job-1', summaries(['u1', report(':core', ALPHA)]))
  tracker.failed('job-1', 'u2', encodeUnitReport(report(':money', BETA, { outcome: 'failed' })))
  tracker.cancelled('job-1', 'too late')
  tracker.completed('job-1', new Map())
  tracker.granted('job-1', 3, BETA)
  const done = tracker.report('job-1')
  t.is(done?.state, 'done')
  t.is(done?.error, undefined)
  t.deepEqual(done?.terms, [])
  t.is(ends.get('job-1'), 1)
  t.is(events.length, 2)
})

test('a failed job carries the failing unit\'s task, log and message as its error', t => {
  const { tracker, events, ends, add } = setup()
  add('job-1')
  tracker.granted('job-1', 1, ALPHA)
  const failure = { task: ':money:test', message: 'There were failing tests.', logTail: ['CurrencyTest > converts FAILED', '    expected: <1.10> but was: <1.1>'] }
  tracker.failed('job-1', 'u2', encodeUnitReport(report(':money', BETA, { outcome: 'failed', failure })))
  const failed = tracker.report('job-1')
  t.is(failed?.state, 'failed')
  t.is(failed?.error, `unit :money failed on ${BETA} in :money:test\n  | CurrencyTest > converts FAILED\n  |     expected: <1.10> but was: <1.1>\nThere were failing tests.`)
  t.deepEqual(failed?.units[1]?.result?.failure, failure)
  t.is(ends.get('job-1'), 1)
  t.deepEqual(events.at(-1), { type: 'job', jobId: 'job-1', state: 'failed' })
})

test('a failure whose log is not a report (a worker of another version) is shown as it came', t => {
  const { tracker, add } = setup()
  add('job-1')
  tracker.failed('job-1', 'u3', 'gradle exited with 137')
  const failed = tracker.report('job-1')
  t.is(failed?.error, 'unit :app failed: gradle exited with 137')
  t.is(failed?.units[2]?.result, undefined)
  add('job-2')
  tracker.failed('job-2', 'u-unknown', 'lost')
  t.is(tracker.report('job-2')?.error, 'unit u-unknown failed: lost')
})

test('a cancelled job keeps the reason and its units are not run', t => {
  const { tracker, events, ends, add } = setup()
  add('job-1')
  tracker.cancelled('job-1', 'the submitter stopped waiting (interrupted)')
  t.is(tracker.report('job-1')?.state, 'cancelled')
  t.is(tracker.report('job-1')?.error, 'the submitter stopped waiting (interrupted)')
  t.deepEqual(tracker.units('job-1')?.map(u => u.state), ['not run', 'not run', 'not run'])
  t.is(ends.get('job-1'), 1)
  t.deepEqual(events.at(-1), { type: 'job', jobId: 'job-1', state: 'cancelled' })
})

test('a lost peer is noted once on each running job and not on jobs that have ended', t => {
  const { tracker, add } = setup()
  add('ended')
  tracker.completed('ended', new Map())
  add('running-1')
  add('running-2')
  tracker.peerLost(ALPHA)
  tracker.peerLost(ALPHA)
  tracker.peerLost(BETA)
  t.deepEqual(tracker.report('ended')?.lostPeers, [])
  t.deepEqual(tracker.report('running-1')?.lostPeers, [ALPHA, BETA])
  t.deepEqual(tracker.report('running-2')?.lostPeers, [ALPHA, BETA])
})

test('list() gives jobs newest first with units done and failed counted per node and the last term', t => {
  const { tracker, add } = setup()
  add('job-1')
  tracker.completed('job-1', summaries(['u1', report(':core', ALPHA)], ['u2', report(':money', ALPHA)], ['u3', report(':app', BETA)]))
  add('job-2')
  tracker.granted('job-2', 1, ALPHA)
  tracker.granted('job-2', 2, BETA)
  tracker.failed('job-2', 'u2', encodeUnitReport(report(':money', BETA, { outcome: 'timeout' })))
  add('job-3')
  const [third, second, first] = tracker.list()
  t.deepEqual(tracker.list().map(j => j.id), ['job-3', 'job-2', 'job-1'])
  t.like(first, { state: 'done', submitter: SELF, tasks: ['build'], units: { total: 3, done: 3, running: 0, queued: 0, failed: 0 } })
  t.deepEqual(first?.nodes, [{ peerId: ALPHA, total: 2, done: 2, running: 0, failed: 0 }, { peerId: BETA, total: 1, done: 1, running: 0, failed: 0 }])
  t.false(first != null && 'leader' in first)
  t.like(second, { state: 'failed', leader: BETA, term: 2, units: { total: 3, done: 0, running: 0, queued: 2, failed: 1 } })
  t.deepEqual(second?.nodes, [{ peerId: BETA, total: 1, done: 0, running: 0, failed: 1 }])
  t.regex(second?.error ?? '', /^unit :money timeout on /)
  t.like(third, { state: 'running', units: { total: 3, done: 0, queued: 3, failed: 0 }, nodes: [] })
})

test('units() shows each unit\'s tasks, state, node and attempts; unknown jobs have none', t => {
  const { tracker, add } = setup()
  add('job-1')
  t.deepEqual(tracker.units('job-1')?.map(u => u.state), ['pending', 'pending', 'pending'])
  tracker.failed('job-1', 'u2', encodeUnitReport(report(':money', BETA, { outcome: 'failed' })))
  t.deepEqual(tracker.units('job-1'), [
    { id: 'u1', jobId: 'job-1', state: 'not run', tasks: [':core:compileJava', ':core:jar'], attempts: 0 },
    { id: 'u2', jobId: 'job-1', state: 'failed', tasks: [':money:compileJava', ':money:test'], attempts: 1, node: BETA },
    { id: 'u3', jobId: 'job-1', state: 'not run', tasks: [':app:jar'], attempts: 0 }
  ])
  t.is(tracker.units('nope'), undefined)
  t.is(tracker.report('nope'), undefined)
  t.false(tracker.has('nope'))
})

test('past 50 ended jobs the oldest are forgotten on the next add; running jobs are kept however old', t => {
  const { tracker, add } = setup()
  add('old-running')
  for (let i = 0; i < 51; i++) {
    add(`ended-${i}`)
    tracker.completed(`ended-${i}`, new Map())
  }
  t.true(tracker.has('ended-0'), 'nothing is forgotten until the next job is added')
  add('new')
  t.false(tracker.has('ended-0'))
  t.true(tracker.has('ended-1'))
  t.true(tracker.has('ended-50'))
  t.true(tracker.isRunning('old-running'))
  t.is(tracker.list().length, 52)
  t.is(tracker.list().filter(j => j.state === 'done').length, 50)
})

test('a long job that has just ended outlives the 50 that ended before it', t => {
  const { tracker, clock, add } = setup()
  add('long')
  for (let i = 0; i < 50; i++) {
    add(`quick-${i}`)
    clock.ms += 10
    tracker.completed(`quick-${i}`, new Map())
  }
  clock.ms += 10
  tracker.completed('long', new Map())
  add('next')
  t.is(tracker.report('long')?.state, 'done', 'the submitter may not have read its report yet')
  t.false(tracker.has('quick-0'))
})

test('results that arrive while the job runs show at once: the job list counts them per node before the job ends', t => {
  const { tracker, add } = setup()
  add('job-1')
  tracker.unitDone('job-1', 'u1', encodeUnitReport(report(':core', ALPHA)))
  tracker.unitDone('job-1', 'u9', encodeUnitReport(report(':nowhere', ALPHA)))
  tracker.unitDone('job-1', 'u2', 'not a report')
  t.true(tracker.isRunning('job-1'))
  const [info] = tracker.list()
  t.deepEqual(info?.units, { total: 3, done: 1, running: 0, queued: 2, failed: 0 })
  t.deepEqual(info?.nodes.map(n => [n.peerId, n.done]), [[ALPHA, 1]])
  t.deepEqual(tracker.units('job-1')?.map(u => u.state), ['success', 'pending', 'pending'])
})
