import test from 'ava'
import type { UnitResultInfo } from '../../src/client/api-types.js'
import { parseBuildOutput } from '../../src/gradle/build-output.js'
import { meshFigures, type BuildSummaryJson } from '../../bench/lib/build-overhead.js'
import { NoReferenceError, roundTable, sideBySide, strongest, type LabelledReference, type Round } from '../../bench/lib/distributed-report.js'

function result (worker: string, durationMs: number): UnitResultInfo {
  return { worker, outcome: 'success', setupMs: 500, durationMs, fetchedBytes: 0, tasks: { executed: 3, fromCache: 0, upToDate: 0 } }
}

function summary (): BuildSummaryJson {
  return {
    ok: true,
    exitCode: 0,
    timings: { probeMs: 5000, submitMs: 400, distributedMs: 20_000, finalMs: 4000, totalMs: 29_400 },
    plan: { gradleVersion: '4.4.1', units: 2 },
    job: {
      id: 'job-1',
      state: 'done',
      units: [
        { id: 'j', name: ':journal', dependsOn: [], result: result('peer-a', 7000) },
        { id: 's', name: ':storage', dependsOn: ['j'], result: result('peer-b', 6000) }
      ]
    }
  }
}

function reference (label: string, wallMs: number): LabelledReference {
  const out = parseBuildOutput('BUILD SUCCESSFUL in 30s\n12 actionable tasks: 12 executed\n')
  return { label, ref: { wallMs, result: { pid: 1, exitCode: 0, signal: null, aborted: false, summary: out, durationMs: wallMs - 1000, command: [] } } }
}

/** A 30 s mesh build against a 60 s plain build and a 40 s --parallel one. */
function round (): Round {
  const s = summary()
  return {
    name: 'cold',
    d: { wallMs: 30_000, summary: s, flags: ['--no-daemon'] },
    refs: [reference('one node, --no-daemon', 60_000), reference('one node, --parallel, --no-daemon', 40_000)],
    f: meshFigures(s)
  }
}

/** The cells after the measure of the row named `measure`: figure, reference, ratio (and goal, met when set). */
function row (table: string, measure: string): string[] {
  const line = table.split('\n').find(l => l.startsWith(`${measure}  `))
  if (line == null) throw new Error(`no row ${measure} in\n${table}`)
  return line.slice(measure.length).trim().split(/\s{2,}/)
}

test('the headline speedup and the reference column are the fastest one-node build, not the first', (t) => {
  const r = round()
  t.is(strongest(r).label, 'one node, --parallel, --no-daemon')
  const table = roundTable(r, 'title', 3)
  t.regex(table.split('\n').find(l => l.startsWith('measure')) ?? '', /one node, --parallel, --no-daemon/)
  t.deepEqual(row(table, 'speedup (fastest one node / 3 nodes)'), ['1.33x', '1.00x', '-'])
  t.deepEqual(row(table, 'build wall time'), ['30.00 s', '40.00 s', '0.75x'])
  t.deepEqual(row(table, 'final build from the mesh cache (ref: the build)'), ['4.00 s', '39.00 s', '-'])
})

test('the slower one-node build stays in the table and the summary line as a second reference', (t) => {
  const r = round()
  const table = roundTable(r, 'title', 3)
  t.deepEqual(row(table, 'build wall time (ref: one node, --no-daemon)'), ['30.00 s', '60.00 s', '0.50x'])
  t.deepEqual(row(table, 'speedup (one node, --no-daemon / 3 nodes)'), ['2.00x', '-', '-'])
  const line = sideBySide([r])
  t.regex(line, /vs fastest one node 40\.00 s \(one node, --parallel, --no-daemon\): speedup 1\.33x; vs one node, --no-daemon 60\.00 s: 2\.00x,/)
})

test('a round without a one-node build is an error, not a speedup against nothing', (t) => {
  t.throws(() => strongest({ ...round(), refs: [] }), { instanceOf: NoReferenceError })
})
