import test, { type ExecutionContext } from 'ava'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { contentKey } from '../../../src/cas/keys.js'
import { createSnapshot, openBlob, Workspaces, type SnapshotStore } from '../../../src/snapshot/index.js'
import { MAX_TEST_REPORTS_BYTES, TestReportBlobs } from '../../../node/jobs/test-report-blob.js'
import { UnitExecutor, type UnitExecutorComponents } from '../../../node/jobs/unit-executor.js'
import { encodeUnitPayload } from '../../../node/jobs/unit-payload.js'
import { UnitProcesses } from '../../../node/jobs/unit-processes.js'
import { protocolOutcome, type UnitReport } from '../../../node/jobs/unit-report.js'
import { countingReads } from '../../snapshot/helpers.js'

const SHARD = {
  id: 's1', name: ':money:test [1/2]', project: ':money', run: [':money:test'], exclude: [], testFilters: [],
  shard: { testTask: ':money:test', index: 1, count: 2, salt: 0 }
}

/** The line a stand-in Gradle runs to leave a JUnit report of `bytes` bytes where the shard's test task puts it. */
const writeReport = (bytes: number): string =>
  `mkdir -p money/build/test-results/test && head -c ${bytes} /dev/zero | tr '\\0' a > money/build/test-results/test/TEST-example.money.MoneyTest.xml`
const FAILING_TESTS = [
  'echo "FAILURE: Build failed with an exception."', 'echo', 'echo "* What went wrong:"',
  'echo "Execution failed for task \':money:test\'."', 'echo "> There were failing tests."', 'echo "* Try:"', 'exit 1'
]

async function openStore (t: ExecutionContext, dir: string): Promise<ContentStore> {
  const store = await ContentStore.open({ dir, maxBytes: 1024 ** 3, logger: silentLogger() })
  t.teardown(async () => { await store.close() })
  return store
}

/**
 * A worker's executor over `store` (by default a real one holding the snapshot), real workspaces and a stand-in Gradle
 * running `script`, with the snapshot id of a one-file project snapshotted into `submitter` (default: the worker's
 * store); `keep` replaces the reports store's when given.
 */
async function executorOf (t: ExecutionContext, script: string[], over: { keep?: TestReportBlobs['keep'], submitter?: ContentStore, store?: SnapshotStore, snapshotSource?: UnitExecutorComponents['snapshotSource'] } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-executor-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const own = await openStore(t, path.join(dir, 'store'))
  const store = over.store ?? own
  const project = path.join(dir, 'project')
  await mkdir(project)
  await writeFile(path.join(project, 'build.gradle'), '')
  const gradle = path.join(dir, 'gradle')
  await writeFile(gradle, ['#!/bin/sh', ...script, ''].join('\n'))
  await chmod(gradle, 0o755)
  const snapshot = await createSnapshot(project, over.submitter ?? own)
  const workspaces = new Workspaces({ root: path.join(dir, 'workspaces') })
  await workspaces.start()
  const processes = new UnitProcesses(path.join(dir, 'pids'), workspaces.root, silentLogger())
  await processes.start()
  const blobs = new TestReportBlobs(store)
  t.teardown(() => { blobs.stop() })
  const executor = new UnitExecutor({
    store, workspaces, processes, logger: silentLogger(),
    snapshotSource: over.snapshotSource ?? (() => async () => { throw new Error('the store holds the snapshot: nothing is fetched') }),
    testReports: { keep: over.keep ?? (async (reports, signal) => await blobs.keep(reports, signal)) }
  }, { self: 'worker', cacheUrl: () => 'http://127.0.0.1:9/cache/', gradleUserHome: path.join(dir, 'home'), gradleExecutable: gradle, scratchDir: dir })
  return { executor, snapshot, dir }
}

/** Runs the shard on a worker's executor (see executorOf) and returns its report. */
async function runShard (t: ExecutionContext, script: string[], keep?: TestReportBlobs['keep']): Promise<UnitReport> {
  const { executor, snapshot } = await executorOf(t, script, keep == null ? {} : { keep })
  return await executor.run({ jobId: 'j', unitId: SHARD.id, payload: encodeUnitPayload(snapshot.id, SHARD, 60_000), submitter: 'submitter' }, new AbortController().signal)
}

test('a test shard whose failing tests write reports too big to keep reports Gradle\'s failure, with a note, for good: not a run elsewhere', async t => {
  const report = await runShard(t, [writeReport(MAX_TEST_REPORTS_BYTES + 1000), ...FAILING_TESTS])
  t.is(report.outcome, 'failed')
  t.is(protocolOutcome(report.outcome), 'failed')
  t.is(report.testReports, undefined)
  t.is(report.failure?.task, ':money:test')
  t.regex(report.failure?.message ?? '', /^Execution failed for task ':money:test'\.\n> There were failing tests\.\n/)
  t.regex(report.failure?.message ?? '', /the test reports were not kept: the test reports take \d+ bytes or more, over the limit of 33554432$/)
})

test('a passing test shard whose reports are too big to keep fails for good, saying so: a run elsewhere would make them as big', async t => {
  const report = await runShard(t, [writeReport(MAX_TEST_REPORTS_BYTES + 1000), 'exit 0'])
  t.is(report.outcome, 'failed')
  t.is(protocolOutcome(report.outcome), 'failed')
  t.is(report.testReports, undefined)
  t.regex(report.failure?.message ?? '', /^the test reports were not kept: the test reports take \d+ bytes or more, over the limit of 33554432$/)
})

test('a test shard whose reports the store cannot take for now (disk full) is given back unrun, to run elsewhere', async t => {
  const report = await runShard(t, [writeReport(100), 'exit 0'], async () => { throw new Error('ENOSPC: no space left on device') })
  t.is(report.outcome, 'error')
  t.is(protocolOutcome(report.outcome), 'not-run')
  t.is(report.failure?.message, 'the unit could not run: ENOSPC: no space left on device')
})

test('a test shard whose report files pass the limit fails for good without their being read: a 600 MB one is not read into a string', async t => {
  const file = 'money/build/test-results/test/TEST-example.money.MoneyTest.xml'
  // sparse: 600 MB that take no disk, and would take 600 MB of memory (and a string past V8's longest) to read
  const report = await runShard(t, [`mkdir -p ${path.dirname(file)} && truncate -s 600M ${file}`, 'exit 0'])
  t.is(report.outcome, 'failed')
  t.is(protocolOutcome(report.outcome), 'failed')
  t.is(report.testReports, undefined)
  t.is(report.failure?.message, `the test reports were not kept: the test reports take ${600 * 1024 * 1024} bytes or more, over the limit of 33554432`)
})

test('a test shard whose reports fit is reported with them', async t => {
  const report = await runShard(t, [writeReport(100), 'exit 0'])
  t.is(report.outcome, 'success')
  t.is(report.testReports?.size, JSON.stringify([{ name: 'TEST-example.money.MoneyTest.xml', content: 'a'.repeat(100) }]).length)
})

test('a shard whose Gradle is killed from outside (the out-of-memory killer) is given back unrun, naming the signal, to run elsewhere', async t => {
  const report = await runShard(t, ['kill -9 $$'])
  t.is(report.outcome, 'error')
  t.is(protocolOutcome(report.outcome), 'not-run')
  t.is(report.failure?.message, 'Gradle was killed by SIGKILL, which gmesh did not send (out of memory?)')
})

test('a unit of another job on the same snapshot is not failed by the first job\'s gone submitter: it asks its own, that job\'s units ask theirs once', async t => {
  const submitterDir = await mkdtemp(path.join(tmpdir(), 'gmesh-executor-submitter-'))
  t.teardown(async () => { await rm(submitterDir, { recursive: true, force: true }) })
  const submitter = await openStore(t, submitterDir)
  const workerDir = await mkdtemp(path.join(tmpdir(), 'gmesh-executor-worker-'))
  t.teardown(async () => { await rm(workerDir, { recursive: true, force: true }) })
  const store = await openStore(t, workerDir)
  const asked: string[] = []
  let goneAsked = (): void => {}
  const askedGone = new Promise<void>(resolve => { goneAsked = resolve })
  let fail = (_err: Error): void => {}
  const snapshotSource: UnitExecutorComponents['snapshotSource'] = peer => async (sha256, options) => {
    asked.push(peer)
    // the first ask waits for the test to fail it; any later one fails at once
    if (peer === 'gone' && asked.length > 1) throw new Error('the submitter is gone')
    if (peer === 'gone') return await new Promise((_resolve, reject) => { fail = reject; goneAsked() })
    const entry = await openBlob(submitter, sha256, options)
    if (entry === undefined) throw new Error(`the submitter lacks ${sha256}`)
    return entry.bytes ?? entry.body
  }
  const { executor, snapshot } = await executorOf(t, ['exit 0'], { submitter, store, snapshotSource })
  const unit = (jobId: string, unitId: string, from: string): Promise<UnitReport> => executor.run({
    jobId, unitId, payload: encodeUnitPayload(snapshot.id, { ...SHARD, id: unitId }, 60_000), submitter: from
  }, new AbortController().signal)
  const reports = [unit('a', 's1', 'gone'), unit('a', 's2', 'gone'), unit('b', 's1', 'here')]
  await askedGone
  fail(new Error('the submitter is gone'))
  const [a1, a2, b1] = await Promise.all(reports)
  t.deepEqual([a1?.outcome, a2?.outcome], ['error', 'error'])
  t.regex(a1?.failure?.message ?? '', /the submitter is gone/)
  t.is(b1?.outcome, 'success')
  t.is(asked.filter(peer => peer === 'gone').length, 1, 'the gone submitter was asked once')
  t.is(asked[1], 'here', 'then the other job\'s own')
})

test('units of one snapshot starting together on a worker fetch its manifest once and read and decode it once', async t => {
  const submitterDir = await mkdtemp(path.join(tmpdir(), 'gmesh-executor-submitter-'))
  t.teardown(async () => { await rm(submitterDir, { recursive: true, force: true }) })
  const submitter = await openStore(t, submitterDir)
  const fetched: string[] = []
  const workerDir = await mkdtemp(path.join(tmpdir(), 'gmesh-executor-worker-'))
  t.teardown(async () => { await rm(workerDir, { recursive: true, force: true }) })
  const inner = await openStore(t, workerDir)
  const { store, reads } = countingReads(inner)
  const snapshotSource = () => async (sha256: string, options: { signal?: AbortSignal }) => {
    fetched.push(sha256)
    const entry = await openBlob(submitter, sha256, options)
    if (entry === undefined) throw new Error(`the submitter lacks ${sha256}`)
    return entry.bytes ?? entry.body
  }
  const { executor, snapshot } = await executorOf(t, ['exit 0'], { submitter, store, snapshotSource })
  const units = 3
  const reports = await Promise.all(Array.from({ length: units }, async (_, i) => await executor.run({
    jobId: 'j', unitId: `s${i}`, payload: encodeUnitPayload(snapshot.id, { ...SHARD, id: `s${i}` }, 60_000), submitter: 'submitter'
  }, new AbortController().signal)))
  t.deepEqual(reports.map(r => r.outcome), Array(units).fill('success'))
  t.is(fetched.filter(sha256 => sha256 === snapshot.id).length, 1, 'the manifest was fetched once')
  t.is(reads.get(contentKey(snapshot.id)), 1, 'the manifest was read (and decoded) once')
})

test('a stopped executor keeps no manifest for a next unit: one run after reads and decodes it again', async t => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-executor-worker-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const inner = await openStore(t, dir)
  const { store, reads } = countingReads(inner)
  const { executor, snapshot } = await executorOf(t, ['exit 0'], { submitter: inner, store })
  const run = async (unitId: string): Promise<UnitReport> => await executor.run({
    jobId: 'j', unitId, payload: encodeUnitPayload(snapshot.id, { ...SHARD, id: unitId }, 60_000), submitter: 'submitter'
  }, new AbortController().signal)
  t.is((await run('s1')).outcome, 'success')
  t.is((await run('s2')).outcome, 'success')
  t.is(reads.get(contentKey(snapshot.id)), 1, 'kept for the next unit while running')
  executor.stop()
  t.is((await run('s3')).outcome, 'success')
  t.is(reads.get(contentKey(snapshot.id)), 2, 'dropped by stop')
})
