import test from 'ava'
import type { UnitResultInfo } from '../../src/client/api-types.js'
import { criticalPath, meshFigures, parseBuildSummary, SummaryParseError, type BuildSummaryJson } from '../../bench/lib/build-overhead.js'

function result (worker: string, setupMs: number, durationMs: number): UnitResultInfo {
  return { worker, outcome: 'success', setupMs, durationMs, fetchedBytes: 0, tasks: { executed: 3, fromCache: 0, upToDate: 0 } }
}

/** The shape of java-tests-io: journal, then storage and transport side by side, then gateway. */
function diamond (): BuildSummaryJson {
  return {
    ok: true,
    exitCode: 0,
    timings: { probeMs: 5000, submitMs: 400, distributedMs: 30_000, finalMs: 8000, totalMs: 43_400 },
    plan: { gradleVersion: '4.4.1', units: 4 },
    job: {
      id: 'job-1',
      state: 'done',
      units: [
        { id: 'j', name: ':journal', dependsOn: [], result: result('peer-a', 500, 7000) },
        { id: 's', name: ':storage', dependsOn: ['j'], result: result('peer-b', 600, 6000) },
        { id: 't', name: ':transport', dependsOn: ['j'], result: result('peer-c', 400, 9000) },
        { id: 'g', name: ':gateway', dependsOn: ['j', 's', 't'], result: result('peer-a', 500, 5000) }
      ]
    }
  }
}

test('the critical path follows the slower branch of a diamond and adds setup and run of each unit on it', (t) => {
  const path = criticalPath(diamond().job.units)
  t.deepEqual(path.units, [':journal', ':transport', ':gateway'])
  t.is(path.ms, 500 + 7000 + 400 + 9000 + 500 + 5000)
  t.is(path.setupMs, 500 + 400 + 500)
})

test('scheduling overhead is the mesh phase (submit + wait) minus the critical path, spread over the units', (t) => {
  const s = diamond()
  const f = meshFigures(s)
  const critical = criticalPath(s.job.units).ms
  t.is(f.meshMs, s.timings.submitMs + s.timings.distributedMs)
  t.is(f.overheadMs, f.meshMs - critical)
  t.is(f.overheadPerUnitMs, f.overheadMs / 4)
  t.is(f.serialMs, s.job.units.reduce((sum, u) => sum + (u.result == null ? 0 : u.result.setupMs + u.result.durationMs), 0))
  t.deepEqual(f.perWorker, [{ worker: 'peer-a', units: 2 }, { worker: 'peer-b', units: 1 }, { worker: 'peer-c', units: 1 }])
  t.is(f.ran, 4)
})

test('a unit that never ran counts as a unit but weighs nothing and ran on no node', (t) => {
  const s = diamond()
  const gateway = s.job.units[3]
  s.job.units[3] = { id: gateway.id, name: gateway.name, dependsOn: gateway.dependsOn }
  const f = meshFigures(s)
  t.is(f.units, 4)
  t.is(f.ran, 3)
  t.deepEqual(f.critical.units, [':journal', ':transport'])
  t.deepEqual(f.perWorker.map(w => w.units), [1, 1, 1])
})

test('a dependency cycle in a summary is an error, not an endless walk', (t) => {
  const s = diamond()
  s.job.units[0] = { ...s.job.units[0], dependsOn: ['g'] }
  t.throws(() => criticalPath(s.job.units), { instanceOf: SummaryParseError, message: /depends on itself/ })
})

test('the summary is read from gmesh build --json stdout; output without one is a parse error', (t) => {
  const s = diamond()
  const parsed = parseBuildSummary(`${JSON.stringify(s, null, 2)}\n`)
  t.deepEqual(parsed, s)
  t.throws(() => parseBuildSummary('BUILD FAILED\n'), { instanceOf: SummaryParseError, message: /no JSON summary/ })
  t.throws(() => parseBuildSummary('{"ok": true}'), { instanceOf: SummaryParseError, message: /no timings/ })
  t.throws(() => parseBuildSummary('{"ok": tru'), { instanceOf: SummaryParseError, message: /not JSON/ })
})
