import test, { type ExecutionContext } from 'ava'
import { pino } from 'pino'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { openBlob, type FetchBlob } from '../../../src/snapshot/index.js'
import type { NodeEventBody } from '../../../node/events/index.js'
import { JobTracker } from '../../../node/jobs/job-tracker.js'
import { ShardReports, TestReportsUnavailableError } from '../../../node/jobs/shard-reports.js'
import { TestReportBlobs } from '../../../node/jobs/test-report-blob.js'
import { encodeUnitReport, type UnitReport } from '../../../node/jobs/unit-report.js'

const SELF = '12D3KooWSubmitter'
const ALPHA = '12D3KooWWorkerAlpha'
const BETA = '12D3KooWWorkerBeta'
const SNAPSHOT = { id: 'cd'.repeat(32), files: 12, bytes: 8000, newBlobs: 2, ms: 4 }
const UNITS = [
  { id: 'u1', name: ':money', tasks: [':money:compileJava'], dependsOn: [] },
  { id: 's1', name: ':money:test [1/2]', tasks: [':money:test'], dependsOn: ['u1'] },
  { id: 's2', name: ':money:test [2/2]', tasks: [':money:test'], dependsOn: ['u1'] }
]
const shardReports = (cls: string, tests: number): Array<{ name: string, content: string }> =>
  [{ name: `TEST-example.money.${cls}.xml`, content: `<testsuite name="example.money.${cls}" tests="${tests}" failures="0" errors="0" skipped="0"></testsuite>` }]

async function openStore (t: ExecutionContext): Promise<ContentStore> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-shards-'))
  const store = await ContentStore.open({ dir, maxBytes: 1024 ** 3, logger: silentLogger() })
  t.teardown(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return store
}

function unitReport (unit: string, worker: string, over: Partial<UnitReport> = {}): UnitReport {
  return { worker, unit, outcome: 'success', durationMs: 800, setupMs: 50, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 }, ...over }
}

/** A submitter (tracker, store, ShardReports) and two workers with stores of their own, reached through `source`. */
async function setup (t: ExecutionContext) {
  const workerStores = new Map<string, ContentStore>()
  for (const peer of [ALPHA, BETA]) workerStores.set(peer, await openStore(t))
  const events: NodeEventBody[] = []
  const tracker = new JobTracker(SELF, { emit: body => { events.push(body) } })
  const blobs = new TestReportBlobs(await openStore(t))
  const source = (peer: string): FetchBlob => async sha256 => {
    const store = workerStores.get(peer)
    const entry = store === undefined ? undefined : await openBlob(store, sha256)
    if (entry == null) throw new Error(`the worker ${peer} answered not-found for test reports blob ${sha256.slice(0, 12)}`)
    return entry.bytes ?? entry.body
  }
  const shards = new ShardReports({ tracker, blobs, source, logger: silentLogger() })
  const workers = new Map([...workerStores].map(([peer, store]) => [peer, new TestReportBlobs(store)]))
  const keep = async (peer: string, reports: Array<{ name: string, content: string }>) => await workers.get(peer)!.keep(reports)
  t.teardown(() => { blobs.stop(); for (const w of workers.values()) w.stop() })
  tracker.add('job-1', { requested: ['build'], snapshot: SNAPSHOT, units: UNITS, onEnd: () => {} })
  return { tracker, shards, keep, events }
}

test('a job whose test shards completed is assembling until their reports are fetched from the workers, then done, and serves them by unit', async t => {
  const { tracker, shards, keep, events } = await setup(t)
  const first = await keep(ALPHA, shardReports('MoneyTest', 4))
  const second = await keep(BETA, shardReports('RateTest', 2))
  tracker.completed('job-1', new Map([
    ['u1', encodeUnitReport(unitReport(':money', ALPHA))],
    ['s1', encodeUnitReport(unitReport(':money:test [1/2]', ALPHA, { testReports: first }))],
    ['s2', encodeUnitReport(unitReport(':money:test [2/2]', BETA, { testReports: second }))]
  ]))
  t.is(tracker.report('job-1')?.state, 'assembling')
  t.true(tracker.isRunning('job-1'), 'not ended while assembling')
  await t.throwsAsync(async () => await shards.reports('job-1'), { instanceOf: TestReportsUnavailableError, message: /is assembling/ })
  t.deepEqual(tracker.testReportRefs('job-1').map(r => [r.unitId, r.worker]), [['s1', ALPHA], ['s2', BETA]])

  await shards.collect('job-1')
  t.is(tracker.report('job-1')?.state, 'done')
  t.deepEqual(events.filter(e => e.type === 'job').map(e => e.type === 'job' ? e.state : ''), ['running', 'assembling', 'done'])
  t.deepEqual(await shards.reports('job-1'), { units: { s1: shardReports('MoneyTest', 4), s2: shardReports('RateTest', 2) } })
  t.is(await shards.reports('job-2'), undefined, 'a job not submitted here')
})

test('a shard whose worker no longer has its reports fails the job, naming the unit and the worker', async t => {
  const { tracker, shards, keep } = await setup(t)
  const kept = await keep(ALPHA, shardReports('MoneyTest', 4))
  const lost = { sha256: 'ab'.repeat(32), size: 120 }
  tracker.completed('job-1', new Map([
    ['u1', encodeUnitReport(unitReport(':money', ALPHA))],
    ['s1', encodeUnitReport(unitReport(':money:test [1/2]', ALPHA, { testReports: kept }))],
    ['s2', encodeUnitReport(unitReport(':money:test [2/2]', BETA, { testReports: lost }))]
  ]))
  await shards.collect('job-1')
  const report = tracker.report('job-1')
  t.is(report?.state, 'failed')
  t.regex(report?.error ?? '', /test reports of unit :money:test \[2\/2\] could not be fetched from 12D3KooWWorkerBeta: .*not-found/)
  t.notRegex(report?.error ?? '', /\[1\/2\]/, 'the shard that arrived is not blamed')
  await t.throwsAsync(async () => await shards.reports('job-1'), { instanceOf: TestReportsUnavailableError, message: /is failed/ })
})

test('a job without test shards is done at once; one cancelled while assembling stays cancelled when its reports arrive', async t => {
  const { tracker, shards, keep } = await setup(t)
  tracker.completed('job-1', new Map([['u1', encodeUnitReport(unitReport(':money', ALPHA))]]))
  t.is(tracker.report('job-1')?.state, 'done')
  t.deepEqual(await shards.reports('job-1'), { units: {} })

  tracker.add('job-2', { requested: ['build'], snapshot: SNAPSHOT, units: UNITS, onEnd: () => {} })
  const kept = await keep(ALPHA, shardReports('MoneyTest', 4))
  tracker.completed('job-2', new Map([['s1', encodeUnitReport(unitReport(':money:test [1/2]', ALPHA, { testReports: kept }))]]))
  tracker.cancelled('job-2', 'interrupted')
  await shards.collect('job-2')
  t.is(tracker.report('job-2')?.state, 'cancelled')
})

/** A job of `count` test shards run by ALPHA, completed, with a submitter's ShardReports asking `source`. */
async function manyShards (t: ExecutionContext, count: number, source: FetchBlob, logger = silentLogger()) {
  const tracker = new JobTracker(SELF, { emit: () => {} })
  const blobs = new TestReportBlobs(await openStore(t))
  t.teardown(() => { blobs.stop() })
  const shards = new ShardReports({ tracker, blobs, source: () => source, logger })
  const units = Array.from({ length: count }, (_, i) => ({ id: `s${i}`, name: `:money:test [${i + 1}/${count}]`, tasks: [':money:test'], dependsOn: [] }))
  tracker.add('job-1', { requested: ['build'], snapshot: SNAPSHOT, units, onEnd: () => {} })
  tracker.completed('job-1', new Map(units.map((unit, i) => [unit.id, encodeUnitReport(unitReport(unit.name, ALPHA, {
    testReports: { sha256: i.toString(16).padStart(64, '0'), size: 100 }
  }))])))
  return { tracker, shards }
}

test('a worker that cannot be reached is asked for a few shards\' reports, not for each in rounds: all its shards fail with its error', async t => {
  let asked = 0
  const { tracker, shards } = await manyShards(t, 12, async () => {
    asked++
    throw new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4001'), { code: 'ECONNREFUSED' })], 'All promises were rejected')
  })
  await shards.collect('job-1')
  t.true(asked <= 4, `asked ${asked} times`)
  const report = tracker.report('job-1')
  t.is(report?.state, 'failed')
  const lines = (report?.error ?? '').split('\n')
  t.is(lines.length, 12)
  for (let i = 1; i <= 12; i++) t.true(lines.includes(`the test reports of unit :money:test [${i}/12] could not be fetched from ${ALPHA}: All promises were rejected`), `shard ${i}`)
})

test('the shards of an unreachable worker that were not asked are logged once for that worker, with their count, not once each', async t => {
  const warnings: Array<{ msg: string, worker?: string, unit?: string, shards?: number, err?: { message: string } }> = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line)) } })
  let asked = 0
  const { tracker, shards } = await manyShards(t, 12, async () => {
    asked++
    throw new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4001'), { code: 'ECONNREFUSED' })], 'All promises were rejected')
  }, logger)
  await shards.collect('job-1')
  t.is(tracker.report('job-1')?.state, 'failed')
  const each = warnings.filter(w => w.unit !== undefined)
  t.is(each.length, asked, 'each shard asked is logged with its own error')
  const notAsked = warnings.filter(w => w.unit === undefined)
  t.is(notAsked.length, 1, `${warnings.length} warnings for 12 shards`)
  t.like(notAsked[0], { worker: ALPHA, shards: 12 - asked, err: { message: 'All promises were rejected' } })
})

test('a worker that answers for a shard (missing) is still asked for each of the others', async t => {
  let asked = 0
  const { tracker, shards } = await manyShards(t, 6, async sha256 => {
    asked++
    throw new Error(`the worker ${ALPHA} answered not-found for test reports blob ${sha256.slice(0, 12)}`)
  })
  await shards.collect('job-1')
  t.is(asked, 6)
  t.is(tracker.report('job-1')?.state, 'failed')
})
