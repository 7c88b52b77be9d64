import test from 'ava'
import { buildSummaryJson, formatBuildSummary, skippedWarning } from '../../src/build/build-summary.js'
import type { DistributedBuildResult, FinalBuildResult } from '../../src/build/distributed-build.js'
import type { JobReport, UnitResultInfo } from '../../src/client/api-types.js'
import type { GradleRunResult } from '../../src/gradle/runner.js'
import type { Unit, UnitPlan } from '../../src/plan/units.js'

const ALPHA = '12D3KooWAlphaAlphaAlpha11111111'
const BETA = '12D3KooWBetaBetaBetaBeta22222222'
const GAMMA = '12D3KooWGammaGammaGamma33333333'

function planUnit (id: string, name: string): Unit {
  return { id, name, project: name, tasks: [`${name}:jar`], run: [`${name}:jar`], exclude: [], testFilters: [], dependsOn: [] }
}

const plan: UnitPlan = {
  gradleVersion: '8.14.3',
  requested: ['build'],
  units: [planUnit('u1', ':core'), planUnit('u2', ':money'), planUnit('u3', ':app')],
  shardedTestTasks: [],
  finalBuildOnly: [],
  finalBuildExcludes: [],
  finalBuildKeeps: [],
  warnings: []
}

function result (worker: string, over: Partial<UnitResultInfo> = {}): UnitResultInfo {
  return { worker, outcome: 'success', durationMs: 2000, setupMs: 450, fetchedBytes: 1024, tasks: { executed: 4, fromCache: 1, upToDate: 2 }, ...over }
}

function job (over: Partial<JobReport> = {}): JobReport {
  return {
    id: 'job-7f3a',
    state: 'done',
    startedAt: '2026-11-29T12:00:00.000Z',
    elapsedMs: 6000,
    requested: ['build'],
    snapshot: { id: 'ef'.repeat(32), files: 212, bytes: 300_000, newBlobs: 9, ms: 80 },
    terms: [{ term: 1, leader: ALPHA, atMs: 120 }],
    lostPeers: [],
    units: [
      { id: 'u1', name: ':core', dependsOn: [], result: result(ALPHA) },
      { id: 'u2', name: ':money', dependsOn: ['u1'], result: result(BETA, { durationMs: 7100, tasks: { executed: 0, fromCache: 3, upToDate: 0 } }) },
      { id: 'u3', name: ':app', dependsOn: ['u1'], result: result(BETA) }
    ],
    ...over
  }
}

const final: GradleRunResult = {
  pid: 4242,
  exitCode: 0,
  signal: null,
  aborted: false,
  summary: {
    tasks: [{ path: ':core:jar', outcome: 'FROM-CACHE' }, { path: ':app:jar', outcome: 'FROM-CACHE' }],
    counts: { executed: 0, fromCache: 2, upToDate: 0, noSource: 0, skipped: 0, failed: 0 },
    actionable: { total: 14, executed: 1, fromCache: 11, upToDate: 2 },
    result: 'success'
  },
  durationMs: 3210.4,
  command: ['./gradlew', 'build']
}

const timings = { probeMs: 1234.4, submitMs: 55.6, distributedMs: 8765.49, finalMs: 3210.5, totalMs: 13265.99 }

const short = (peer: string): string => `…${peer.slice(-8)}`

/** A successful build, changed by `over`. */
const built = (over: Partial<DistributedBuildResult> = {}): DistributedBuildResult => ({ plan, buildRoot: '/src/shop', job: job(), final, timings, exitCode: 0, ...over })

/** A line's columns: what two or more spaces separate. */
const columns = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/)

test('a successful build lists each unit with its node, time and task counts, the leader and the final build', t => {
  const text = formatBuildSummary(built())
  const lines = text.split('\n')
  t.is(lines[0], 'gmesh build succeeded in 13.3 s (plan 1.2 s, units on the mesh 8.8 s, final build 3.2 s)')
  t.is(lines[1], '  job job-7f3a: 3 units, ran on 2 nodes; snapshot of /src/shop: 212 files, 9 new')
  t.regex(lines[2] ?? '', /^ {2}unit\s+node\s+time {2}executed\/from-cache\/up-to-date$/)
  t.deepEqual(lines.slice(3, 6).map(columns), [
    [':core', short(ALPHA), '2.5 s', '4/1/2'],
    [':money', short(BETA), '7.5 s', '0/3/0'],
    [':app', short(BETA), '2.5 s', '4/1/2']
  ])
  t.is(lines[6], `  leader: term 1 ${short(ALPHA)} at 0.1 s`)
  t.is(lines[7], '  final build: 14 actionable tasks: 11 from cache, 2 up-to-date, 1 executed')
  t.false(text.includes('lost mid-job'))
  t.false(text.includes('FAILED'))
  t.true(text.endsWith('executed\n'))
})

test('a second term is shown with the note on why, and lost peers are listed by short id', t => {
  const text = formatBuildSummary(built({
    job: job({ terms: [{ term: 1, leader: ALPHA, atMs: 120 }, { term: 2, leader: BETA, atMs: 4300 }], lostPeers: [ALPHA, GAMMA] })
  }))
  t.true(text.includes(`  leader: term 1 ${short(ALPHA)} at 0.1 s, then term 2 ${short(BETA)} at 4.3 s (a new term: the previous leader stopped renewing its lease)\n`))
  t.true(text.includes(`  lost mid-job: ${short(ALPHA)}, ${short(GAMMA)} (what they held was reassigned)\n`))
  t.false(text.includes(ALPHA), 'peer ids are shortened everywhere')
})

test('one term has no new-term note, and a job without terms says none was granted', t => {
  t.false(formatBuildSummary(built()).includes('a new term'))
  t.true(formatBuildSummary({ plan, buildRoot: '/src/shop', job: job({ terms: [], state: 'cancelled', error: 'interrupted' }), timings, exitCode: 1 }).includes('  leader: none granted\n'))
})

test('a failed job shows FAILED, the failing unit\'s outcome, the units not run and the error text, and no final build', t => {
  const error = `unit :money failed on ${BETA} in :money:test\n  | CurrencyTest > converts FAILED\nThere were failing tests.`
  const failedJob = job({
    state: 'failed',
    error,
    units: [
      { id: 'u1', name: ':core', dependsOn: [], result: result(ALPHA) },
      { id: 'u2', name: ':money', dependsOn: ['u1'], result: result(BETA, { outcome: 'failed', tasks: { executed: 3, fromCache: 0, upToDate: 1 } }) },
      { id: 'u3', name: ':app', dependsOn: ['u1'] }
    ]
  })
  const text = formatBuildSummary({ plan, buildRoot: '/src/shop', job: failedJob, timings: { ...timings, finalMs: 0 }, exitCode: 1 })
  const lines = text.split('\n')
  t.regex(lines[0] ?? '', /^gmesh build FAILED in 13\.3 s /)
  t.deepEqual(lines.slice(3, 6).map(columns), [
    [':core', short(ALPHA), '2.5 s', '4/1/2'],
    [':money', short(BETA), '2.5 s', '3/0/1 failed'],
    [':app', '-', '-', 'not run']
  ])
  t.false(text.includes('final build:'))
  t.true(text.endsWith(`\n\n${error}\n`))
})

test('a final build without an actionable line reports Gradle\'s exit code', t => {
  const broken: GradleRunResult = { ...final, exitCode: 1, summary: { ...final.summary, actionable: undefined, result: 'failed' } }
  const text = formatBuildSummary(built({ final: broken, exitCode: 1 }))
  t.true(text.startsWith('gmesh build FAILED'))
  t.true(text.includes('  final build: Gradle exited with code 1\n'))
})

test('a final build that failed says why in the JSON (final.failure) and in the text unless its output was shown', t => {
  const failure = { task: ':app:compileJava', message: 'Execution failed for task \':app:compileJava\'.\n> Compilation failed', logTail: ['A.java:1: error: incompatible types', '1 error'] }
  const failed: FinalBuildResult = { ...final, exitCode: 1, summary: { ...final.summary, result: 'failed' }, failure }
  const result = built({ final: failed, exitCode: 1 })
  t.like(buildSummaryJson(result), { ok: false, exitCode: 1, final: { exitCode: 1, failure } })
  const hidden = formatBuildSummary(result)
  t.true(hidden.endsWith('\n\nfinal build FAILED in :app:compileJava\n  | A.java:1: error: incompatible types\n  | 1 error\n' +
    'Execution failed for task \':app:compileJava\'.\n> Compilation failed\n'), hidden)
  t.false(formatBuildSummary(result, { finalOutputShown: true }).includes('Compilation failed'), 'shown once, in Gradle\'s own output')
  t.false(formatBuildSummary(built(), { finalOutputShown: false }).includes('final build FAILED'), 'a build that passed has no failure')
})

test('a final build stopped by Ctrl-C reads as interrupted, not as a failure of Gradle, in the text and the JSON', t => {
  const stopped: GradleRunResult = { ...final, exitCode: 143, signal: null, aborted: true, summary: { ...final.summary, actionable: undefined, result: 'failed' } }
  const result = built({ final: stopped, exitCode: 130 })
  const text = formatBuildSummary(result)
  t.true(text.startsWith('gmesh build interrupted in 13.3 s'), text)
  t.true(text.includes('  final build: interrupted (Gradle was stopped); every unit had built on the mesh\n'))
  t.false(text.includes('143'))
  const json = buildSummaryJson(result) as Record<string, unknown>
  t.like(json, { ok: false, exitCode: 130, stage: 'final', interrupted: true, error: 'build interrupted during the final local build (the job was done on the mesh)' })
})

test('the JSON summary has ok, the exit code, whole-millisecond timings, the plan in brief, the job and the final counts', t => {
  const json = buildSummaryJson(built())
  t.deepEqual(json, {
    ok: true,
    exitCode: 0,
    timings: { probeMs: 1234, submitMs: 56, distributedMs: 8765, finalMs: 3211, totalMs: 13266 },
    plan: { gradleVersion: '8.14.3', requested: ['build'], units: 3, warnings: [], buildRoot: '/src/shop' },
    job: job(),
    final: { exitCode: 0, actionable: final.summary.actionable, counts: final.summary.counts, tasks: final.summary.tasks }
  })
  const failed = buildSummaryJson({ plan, buildRoot: '/src/shop', job: job({ state: 'failed', error: 'boom' }), timings, exitCode: 1 }) as { ok: boolean, exitCode: number, final: unknown }
  t.false(failed.ok)
  t.is(failed.exitCode, 1)
  t.is(failed.final, undefined)
})

test('sharded test tasks: the summary and the JSON give each one\'s shards and merged test counts', t => {
  const sharded: UnitPlan = {
    ...plan,
    units: [...plan.units, planUnit('s1', ':money:test [1/2]'), planUnit('s2', ':money:test [2/2]')],
    shardedTestTasks: [{ task: ':money:test', project: ':money', shardUnits: ['s1', 's2'], classes: [['a'], ['b']] }],
    finalBuildExcludes: [':money:test'],
    finalBuildKeeps: [':money:testClasses']
  }
  const testShards = [{ task: ':money:test', tests: 9, failures: 0, errors: 0, skipped: 1, dir: '/p/money/build/test-results/test', files: ['TEST-a.xml', 'TEST-b.xml'], removedStale: ['/p/money/build/reports/tests/test'], warnings: [] }]
  const text = formatBuildSummary(built({ plan: sharded, testShards }))
  t.true(text.includes('  :money:test in 2 shards: 9 tests, 0 failures, 0 errors, 1 skipped (XML reports merged; removed what an earlier local run left: /p/money/build/reports/tests/test)\n'), text)
  const json = buildSummaryJson(built({ plan: sharded, testShards })) as { testShards: unknown }
  t.deepEqual(json.testShards, [{ task: ':money:test', shards: ['s1', 's2'], tests: 9, failures: 0, errors: 0, skipped: 1, files: 2, dir: '/p/money/build/test-results/test', removedStale: ['/p/money/build/reports/tests/test'] }])
  t.is((buildSummaryJson(built()) as { testShards?: unknown }).testShards, undefined, 'nothing sharded, no testShards')
  const warning = ':money:test [2/2] returned no test reports, though its classes include p.BTest: its tests may not have run, or wrote their reports where gmesh did not look'
  const warned = [{ ...testShards[0], tests: 4, files: ['TEST-a.xml'], warnings: [warning] }] as typeof testShards
  t.true(formatBuildSummary(built({ plan: sharded, testShards: warned })).includes(`  :money:test in 2 shards: 4 tests,`))
  t.true(formatBuildSummary(built({ plan: sharded, testShards: warned })).includes(`\n    warning: ${warning}\n`))
  t.like((buildSummaryJson(built({ plan: sharded, testShards: warned })) as { testShards: unknown[] }).testShards[0], { warnings: [warning] })
})

test('a plan warning (a requested shard that found too few test classes) reaches the JSON summary, not only stderr', t => {
  const warning = ':money:test: --shard asked for 2 shards but 1 test class was found; it runs unsplit'
  const json = buildSummaryJson(built({ plan: { ...plan, warnings: [warning] } })) as { plan: { warnings: string[] } }
  t.deepEqual(json.plan.warnings, [warning])
})

test('what the snapshot left out is one warning line naming the first entries and counting the rest', t => {
  const snapshot = { id: 'ef'.repeat(32), files: 212, bytes: 300_000, newBlobs: 9, ms: 80 }
  t.is(skippedWarning(snapshot), undefined, 'a node that names nothing (older, or nothing skipped) gives no warning')
  t.is(skippedWarning({ ...snapshot, skipped: 0, skippedPaths: [] }), undefined)
  t.is(skippedWarning({ ...snapshot, skipped: 12, skippedPaths: ['app/libs (-> /opt/libs: the target is absolute)', 'run.sock (not a regular file, directory or symbolic link)'] }),
    'the snapshot left out 12 entries (symbolic links leaving the project, sockets, FIFOs): app/libs (-> /opt/libs: the target is absolute), ' +
    'run.sock (not a regular file, directory or symbolic link), and 10 more; units that read them will fail on the mesh: point links inside the project, or ignore what the build does not need in .gitignore')
})
