import test from 'ava'
import { PassThrough } from 'node:stream'
import { BuildProgress } from '../../src/build/build-progress.js'
import type { JobReport, NodeEvent, NodeEventBody, UnitResultInfo } from '../../src/client/api-types.js'

const SELF = '12D3KooWselfnodeAAAAself1234'
const OTHER = '12D3KooWothernodeBBBBwB7k4AEC'

function progress (): { progress: BuildProgress, lines: () => string[] } {
  const out = new PassThrough()
  let text = ''
  out.on('data', chunk => { text += String(chunk) })
  const p = new BuildProgress(out, SELF)
  p.total = 3
  p.jobId = 'job-1'
  return { progress: p, lines: () => text.split('\n').filter(l => l !== '') }
}

let id = 0
const event = (body: NodeEventBody): NodeEvent => ({ ...body, id: ++id, time: 0 }) as NodeEvent

const result = (worker: string, outcome: UnitResultInfo['outcome'], ms: number): UnitResultInfo =>
  ({ worker, outcome, durationMs: ms - 100, setupMs: 100, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 } })

function report (results: Record<string, UnitResultInfo>, extra: Partial<JobReport> = {}): JobReport {
  return {
    id: 'job-1', state: 'running', startedAt: new Date(0).toISOString(), elapsedMs: 1, requested: ['build'],
    snapshot: { id: 'ab', files: 1, bytes: 1, newBlobs: 1, ms: 1 }, terms: [{ term: 1, leader: SELF, atMs: 1 }], lostPeers: [],
    units: ['a', 'b', 'c'].map(n => ({ id: `u-${n}`, name: `:${n}`, dependsOn: [], ...(results[`u-${n}`] == null ? {} : { result: results[`u-${n}`] }) })),
    ...extra
  }
}

test('a unit this node ran shows at once from its event; the report naming it later adds no line and no count', t => {
  const { progress: p, lines } = progress()
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-a', name: ':a', outcome: 'success', ms: 13_600 }))
  p.report(report({ 'u-a': result(SELF, 'success', 13_600), 'u-b': result(OTHER, 'success', 2_000) }))
  p.report(report({ 'u-a': result(SELF, 'success', 13_600), 'u-b': result(OTHER, 'success', 2_000) }))
  t.deepEqual(lines(), [
    `gmesh: [1/3] :a done on …${SELF.slice(-8)} (13.6 s)`,
    'gmesh: [2/3] :b done on …wB7k4AEC (2.0 s)'
  ])
  t.is(p.done, 2)
})

test('events of other jobs and replayed events print nothing; failed and timed-out units say so', t => {
  const { progress: p, lines } = progress()
  const mine = event({ type: 'unit', jobId: 'job-1', unitId: 'u-b', name: ':b', outcome: 'failed', ms: 1_000 })
  p.event(event({ type: 'unit', jobId: 'job-2', unitId: 'u-a', name: ':a', outcome: 'success', ms: 1_000 }))
  p.event(mine)
  p.event(mine) // a stream that reconnected and replays
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-c', name: ':c', outcome: 'timeout', ms: 30_000 }))
  t.deepEqual(lines(), [`gmesh: [1/3] :b FAILED on …${SELF.slice(-8)} (1.0 s)`, `gmesh: [2/3] :c TIMED OUT on …${SELF.slice(-8)} (30.0 s)`])
})

test('a run this node gave back (cancelled, setup error) is said but not counted: the unit runs again', t => {
  const { progress: p, lines } = progress()
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-a', name: ':a', outcome: 'error', ms: 300 }))
  p.report(report({ 'u-a': result(OTHER, 'success', 5_000) }))
  t.deepEqual(lines(), [
    `gmesh: :a could not run on …${SELF.slice(-8)} (0.3 s), queued again`,
    'gmesh: [1/3] :a done on …wB7k4AEC (5.0 s)'
  ])
})

test('a unit missed by the events is counted from the report, so the count stays right', t => {
  const { progress: p, lines } = progress()
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-c', name: ':c', outcome: 'success', ms: 1_000 }))
  p.report(report({ 'u-a': result(OTHER, 'success', 1_000), 'u-b': result(OTHER, 'success', 1_000), 'u-c': result(SELF, 'success', 1_000) }))
  t.deepEqual(lines().map(l => l.slice(0, 18)), ['gmesh: [1/3] :c do', 'gmesh: [2/3] :a do', 'gmesh: [3/3] :b do'])
})

test('a new leader after term 1, units taken back and lost peers get one line each, however often reported', t => {
  const { progress: p, lines } = progress()
  const terms = [{ term: 1, leader: SELF, atMs: 1 }, { term: 2, leader: OTHER, atMs: 900 }]
  p.event(event({ type: 'leading', jobId: 'job-1', term: 1 }))
  p.report(report({}, { terms, lostPeers: [SELF.replace('self', 'gone')] }))
  p.report(report({}, { terms, lostPeers: [SELF.replace('self', 'gone')] }))
  p.event(event({ type: 'units-requeued', jobId: 'job-1', units: 1, from: OTHER }))
  p.event(event({ type: 'units-stolen', units: 2 }))
  t.deepEqual(lines(), [
    'gmesh: leader now …wB7k4AEC (term 2)',
    `gmesh: lost …${SELF.replace('self', 'gone').slice(-8)} mid-job (what it held goes to other nodes)`,
    'gmesh: 1 unit taken back from …wB7k4AEC (it went silent or lost it), queued again'
  ])
})

test('a report of another job (before the node named it) or a unit it does not hold changes nothing', t => {
  const { progress: p, lines } = progress()
  p.report({ ...report({ 'u-a': result(OTHER, 'success', 1_000) }), id: 'job-0' })
  p.report(report({}))
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-zzz', name: ':zzz', outcome: 'success', ms: 1_000 }))
  t.deepEqual(lines(), [])
  t.is(p.done, 0)
})

test('once a unit failed (the job ends) or a report says the job is over, the units every node stops are not said to be queued again', t => {
  const { progress: p, lines } = progress()
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-a', name: ':a', outcome: 'failed', ms: 1_000 }))
  p.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-b', name: ':b', outcome: 'cancelled', ms: 400 }))
  t.deepEqual(lines(), [`gmesh: [1/3] :a FAILED on …${SELF.slice(-8)} (1.0 s)`])

  const other = progress()
  other.progress.report(report({ 'u-a': result(OTHER, 'failed', 2_000) }, { state: 'failed' }))
  other.progress.event(event({ type: 'unit', jobId: 'job-1', unitId: 'u-c', name: ':c', outcome: 'cancelled', ms: 400 }))
  t.deepEqual(other.lines(), ['gmesh: [1/3] :a FAILED on …wB7k4AEC (2.0 s)'])
})
