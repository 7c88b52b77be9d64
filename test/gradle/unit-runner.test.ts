import test, { type ExecutionContext } from 'ava'
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { daemonsBuildingIn, daemonsOf, killDaemonsOf, killProcessesUnder, processesUnder } from '../../src/gradle/gradle-processes.js'
import { countOutcomes } from '../../src/gradle/build-output.js'
import { mergeTestReports, readTestReports } from '../../src/gradle/test-reports.js'
import { LOG_LINE_CHARS } from '../../src/gradle/output-tail.js'
import { runUnit, type UnitRunResult } from '../../src/gradle/unit-runner.js'
import { parseTaskGraph } from '../../src/gradle/task-graph.js'
import { planBuild } from '../../src/plan/plan-build.js'
import { shardOfClass } from '../../src/plan/test-shards.js'
import { planUnits, type Unit, type UnitPlan } from '../../src/plan/units.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'
import { gradleTempFilesOf, JAVA_TMPDIR } from '../helpers/gradle-temp-files.js'
import { repoPath } from '../helpers/repo-paths.js'

/** Gradle's HTTP build cache protocol over a Map, counting PUTs. */
async function startMapCache (): Promise<{ url: string, entries: Map<string, Buffer>, close: () => Promise<void> }> {
  const entries = new Map<string, Buffer>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const key = /^\/cache\/([0-9a-f]{32,128})$/.exec(req.url ?? '')?.[1]
      if (key == null) { res.writeHead(400).end(); return }
      if (req.method === 'PUT') { entries.set(key, Buffer.concat(chunks)); res.writeHead(200).end(); return }
      const body = entries.get(key)
      if (body == null) res.writeHead(404).end()
      else res.writeHead(200, { 'content-length': body.length }).end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/cache/`, entries, close: async () => { await new Promise(resolve => server.close(resolve)) } }
}

async function javaMultiPlan (): Promise<UnitPlan> {
  return planUnits(parseTaskGraph(await readFile(repoPath('test', 'plan', 'fixtures', 'java-multi-build.json'), 'utf8')), { requested: ['build'] })
}

/** A Java test that hangs where Gradle's cancellation cannot reach it: in the test JVM the daemon forked. */
async function addHangingTest (projectDir: string): Promise<Unit> {
  await writeFile(path.join(projectDir, 'text', 'src', 'test', 'java', 'example', 'text', 'HangTest.java'),
    'package example.text;\npublic class HangTest {\n  @org.junit.Test public void hangs () throws Exception { Thread.sleep(600000); }\n}\n')
  await appendFile(path.join(projectDir, 'build.gradle'), "\nproject(':text') { test { testLogging { events 'started' } } }\n")
  return { id: 'hang', name: ':text:test', project: ':text', tasks: [':text:test'], run: [':text:test'], exclude: [], testFilters: ['example.text.HangTest'], dependsOn: [] }
}

/** A log that aborts `cancel` once the hanging test runs. */
function cancelWhenHanging (cancel: AbortController): Writable {
  return new Writable({
    write (chunk, _encoding, done) {
      if (String(chunk).includes('HangTest > hangs STARTED')) cancel.abort()
      done()
    }
  })
}

function unitNamed (plan: UnitPlan, name: string): Unit {
  const unit = plan.units.find(u => u.name === name)
  if (unit == null) throw new Error(`no unit ${name}`)
  return unit
}

test('a unit cancelled before it starts runs nothing', async t => {
  const unit = unitNamed(await javaMultiPlan(), ':money')
  const result = await runUnit({
    unit, workspaceDir: '/nonexistent', cacheUrl: 'http://127.0.0.1:9/cache/', gradleUserHome: '/nonexistent', timeoutMs: 1000, signal: AbortSignal.abort()
  })
  t.like(result, { unitId: unit.id, outcome: 'cancelled', command: [] })
})

/** Runs `unit` with a stand-in Gradle: a shell script of `lines`, in an empty workspace. */
async function runStandIn (t: ExecutionContext, unit: Unit, lines: string[]): Promise<UnitRunResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-standin-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const gradle = path.join(dir, 'gradle')
  await writeFile(gradle, ['#!/bin/sh', ...lines, ''].join('\n'))
  await chmod(gradle, 0o755)
  await mkdir(path.join(dir, 'workspace'))
  return await runUnit({
    unit, workspaceDir: path.join(dir, 'workspace'), cacheUrl: 'http://127.0.0.1:9/cache/', gradleUserHome: path.join(dir, 'home'), timeoutMs: 60_000, gradleExecutable: gradle, scratchDir: dir
  })
}

test('a Gradle killed by a signal gmesh did not send (the out-of-memory killer) is `killed`, naming the signal: not a failure of the build', async t => {
  const unit = unitNamed(await javaMultiPlan(), ':money')
  const result = await runStandIn(t, unit, ['echo "> Task :money:compileJava"', 'kill -9 $$'])
  t.is(result.outcome, 'killed')
  t.is(result.failure?.message, 'Gradle was killed by SIGKILL, which gmesh did not send (out of memory?)')
  t.deepEqual(result.failure?.logTail, ['> Task :money:compileJava'])
})

test('a build whose daemon disappeared under its client is `killed`; any other failure of Gradle is `failed`', async t => {
  const unit = unitNamed(await javaMultiPlan(), ':money')
  const failure = (wentWrong: string): string[] => [
    'echo "FAILURE: Build failed with an exception."', 'echo', 'echo "* What went wrong:"', `echo "${wentWrong}"`, 'echo "* Try:"', 'exit 1'
  ]
  const vanished = await runStandIn(t, unit, failure('Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)'))
  t.like(vanished, { outcome: 'killed', failure: { message: 'Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)' } })
  const failed = await runStandIn(t, unit, ['echo "Gradle build daemon disappeared unexpectedly (a test of the build prints this)"', ...failure("Execution failed for task ':money:compileJava'.")])
  t.like(failed, { outcome: 'failed', exitCode: 1, failure: { task: ':money:compileJava', message: "Execution failed for task ':money:compileJava'." } })
})

test('a compiler echoing a 20 KB source line keeps at most LOG_LINE_CHARS characters of it (then …) in the log tail, and its error lines whole', async t => {
  const unit = unitNamed(await javaMultiPlan(), ':money')
  const error = 'Money.java:3: error: incompatible types: int cannot be converted to String'
  const result = await runStandIn(t, unit, [
    'echo "> Task :money:compileJava"',
    `echo "${error}"`,
    // javac echoes the source line, then a caret line padded to the column
    'printf \'class Broken { String name() { return 42; } } %s\\n\' "$(head -c 20000 /dev/zero | tr \'\\0\' x)"',
    'printf \'%20050s^\\n\' \'\'',
    'echo "1 error"',
    'echo "> Task :money:compileJava FAILED"',
    'echo "FAILURE: Build failed with an exception."', 'echo', 'echo "* What went wrong:"', 'echo "Execution failed for task \':money:compileJava\'."', 'echo "* Try:"', 'exit 1'
  ])
  const tail = result.failure?.logTail ?? []
  t.is(tail.length, 6, tail.join('\n'))
  t.is(tail[1], error)
  t.is(tail[2], `class Broken { String name() { return 42; } } ${'x'.repeat(LOG_LINE_CHARS - 46)}…`)
  t.is(tail[3], `${' '.repeat(LOG_LINE_CHARS)}…`, 'the caret line: its caret is beyond the cut')
  t.deepEqual(tail.slice(4), ['1 error', '> Task :money:compileJava FAILED'])
})

/** Test sources the planner cannot tell from their text, and one the build script excludes from its test task. */
async function addUnlistedAndExcludedTests (projectDir: string): Promise<void> {
  const dir = path.join(projectDir, 'text', 'src', 'test', 'java', 'example', 'text')
  await writeFile(path.join(dir, 'QualifiedChecks.java'), 'package example.text;\npublic class QualifiedChecks {\n  @org.junit.Test public void runs () {}\n}\n')
  await writeFile(path.join(dir, 'SlowIntegrationTest.java'), 'package example.text;\nimport org.junit.Test;\npublic class SlowIntegrationTest {\n  @Test public void excluded () {}\n  @Test public void byTheBuild () {}\n}\n')
  await appendFile(path.join(projectDir, 'build.gradle'), "\nproject(':text') { test { exclude '**/*IntegrationTest*' } }\n")
}

test.serial('real Gradle: the shards of a test task run every test class exactly once, even one the planner did not list, and push their own cache entries', async t => {
  t.timeout(2 * GRADLE_TEST_TIMEOUT_MS, 'two real Gradle builds on a shared 2-core machine')
  const cache = await startMapCache()
  const project = await copyExample('java-multi')
  t.teardown(async () => { await cache.close(); await project.cleanup() })
  await addUnlistedAndExcludedTests(project.projectDir)
  const graph = parseTaskGraph(await readFile(repoPath('test', 'plan', 'fixtures', 'java-multi-build.json'), 'utf8'))
  const plan = await planBuild(graph, { rootDir: project.projectDir, requested: ['build'], shardTests: [{ module: 'text', shards: 2 }] })
  t.false(plan.shardedTestTasks[0]?.classes.flat().includes('example.text.QualifiedChecks'), 'the planner does not see @org.junit.Test')
  const ran: string[] = []
  const shards = plan.units.filter(u => u.shard?.testTask === ':text:test')
  for (const shard of shards) {
    await rm(path.join(project.projectDir, 'text', 'build', 'test-results'), { recursive: true, force: true })
    const result = await runUnit({ unit: shard, workspaceDir: project.projectDir, cacheUrl: cache.url, gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, timeoutMs: 4 * 60_000 })
    t.is(result.outcome, 'success', JSON.stringify(result.failure))
    t.false(result.command.includes('--tests'))
    const names = (result.testReports ?? []).map(r => r.name)
    const hashedHere = ['example.text.ColumnsTest', 'example.text.SlugTest', 'example.text.QualifiedChecks']
      .filter(name => shardOfClass(name, shard.shard?.salt ?? -1, 2) + 1 === shard.shard?.index)
    t.deepEqual(names, hashedHere.sort().map(name => `TEST-${name}.xml`), 'Gradle put each class where the planner\'s hash does')
    ran.push(...names)
    if (shard === shards[0]) {
      // compileJava, compileTestJava and the shard's test task were pushed.
      t.is(cache.entries.size, 3)
      t.like(result.actionable, { executed: 3, fromCache: 0 })
      t.true(countOutcomes(result.tasks).executed > 3, JSON.stringify(result.tasks))
    }
  }
  t.deepEqual(ran.sort(), ['TEST-example.text.ColumnsTest.xml', 'TEST-example.text.QualifiedChecks.xml', 'TEST-example.text.SlugTest.xml'], 'each once, none excluded by the build')
  t.is(cache.entries.size, 4, 'the second shard\'s test task has a cache key of its own')
  // The submitter merges the shards' reports into its own tree.
  const submitter = await mkdtemp(path.join(tmpdir(), 'gmesh-submitter-'))
  t.teardown(async () => { await rm(submitter, { recursive: true, force: true }) })
  const merged = await mergeTestReports(submitter, ':text', [(await readTestReports(project.projectDir, ':text'))])
  t.true(merged.tests > 0)
  t.is(merged.failures + merged.errors, 0)
})

test.serial('real Gradle: a test shard whose only class the build script excludes succeeds with no reports', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle build on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  await addUnlistedAndExcludedTests(project.projectDir)
  const others = ['example.text.ColumnsTest', 'example.text.SlugTest', 'example.text.QualifiedChecks']
  const salt = Array.from({ length: 100 }, (_, i) => i).find(s => others.every(name => shardOfClass(name, s, 2) !== shardOfClass('example.text.SlowIntegrationTest', s, 2)))
  if (salt === undefined) throw new Error('no salt puts SlowIntegrationTest alone')
  const index = shardOfClass('example.text.SlowIntegrationTest', salt, 2) + 1
  const shard = { id: 'alone', project: ':text', run: [':text:test'], exclude: [], testFilters: [], shard: { testTask: ':text:test', index, count: 2, salt } }
  const result = await runUnit({ unit: shard, workspaceDir: project.projectDir, cacheUrl: 'http://127.0.0.1:9/cache/', gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, timeoutMs: 4 * 60_000 })
  t.is(result.outcome, 'success', JSON.stringify(result.failure))
  t.deepEqual(result.testReports, [])
})

test.serial('real Gradle: a unit that does not compile names the failing task and the compiler\'s error', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle build on a shared 2-core machine')
  const cache = await startMapCache()
  const project = await copyExample('java-multi')
  t.teardown(async () => { await cache.close(); await project.cleanup() })
  const source = path.join(project.projectDir, 'money', 'src', 'main', 'java', 'example', 'money', 'Money.java')
  await appendFile(source, '\nclass Broken { String name() { return 42; } }\n')
  const unit = unitNamed(await javaMultiPlan(), ':money')
  const result = await runUnit({ unit, workspaceDir: project.projectDir, cacheUrl: cache.url, gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, timeoutMs: 4 * 60_000 })
  t.is(result.outcome, 'failed')
  t.not(result.exitCode, 0)
  t.is(result.failure?.task, ':money:compileJava')
  t.regex(result.failure?.message ?? '', /Execution failed for task ':money:compileJava'/)
  t.true(result.failure?.logTail.some(line => /Money\.java:\d+: error: incompatible types/.test(line)), result.failure?.logTail.join('\n'))
  t.is(result.testReports, undefined)
  t.is(cache.entries.size, 0, 'nothing was pushed')
})

test.serial('real Gradle: a unit past its deadline is killed with its whole process group', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle start on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const unit = unitNamed(await javaMultiPlan(), ':app')
  // A no-daemon Gradle cannot even start its JVM and configure the build in 2 s, let alone build :app.
  const result = await runUnit({ unit, workspaceDir: project.projectDir, cacheUrl: 'http://127.0.0.1:9/cache/', gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, timeoutMs: 2000 })
  t.is(result.outcome, 'timeout')
  t.regex(result.failure?.message ?? '', /2000 ms deadline/)
  t.truthy(result.pid)
  t.throws(() => process.kill(-(result.pid ?? 0), 0), { code: 'ESRCH' }, 'no process of the group is left')
})

test.serial('real Gradle: a cancelled unit in a warm daemon leaves nothing working in its workspace, not even the test JVM', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle daemon start on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(async () => {
    await killDaemonsOf(project.gradleUserHome)
    await killProcessesUnder(project.projectDir)
    await project.cleanup()
  })
  const unit = await addHangingTest(project.projectDir)
  const cancel = new AbortController()
  const log = cancelWhenHanging(cancel)
  const result = await runUnit({
    unit, workspaceDir: project.projectDir, cacheUrl: 'http://127.0.0.1:9/cache/', gradleUserHome: project.gradleUserHome, daemon: true, tmpDir: project.javaTmpDir, timeoutMs: 4 * 60_000, signal: cancel.signal, log
  })
  t.is(result.outcome, 'cancelled', JSON.stringify(result.failure))
  t.is(result.killedDaemons?.length, 1)
  t.regex(result.failure?.message ?? '', /so was its daemon/)
  t.deepEqual(await daemonsBuildingIn(project.gradleUserHome, project.projectDir), [])
  t.deepEqual(await processesUnder(project.projectDir), [], 'no test JVM left working in the workspace')
})

test.serial('real Gradle: the JVMs of units in a warm daemon keep their temp files in the given dir, /tmp gets none of them', async t => {
  t.timeout(2 * GRADLE_TEST_TIMEOUT_MS, 'two real Gradle builds in a daemon on a shared 2-core machine')
  const cache = await startMapCache()
  const project = await copyExample('java-multi')
  t.teardown(async () => {
    await killDaemonsOf(project.gradleUserHome)
    await killProcessesUnder(project.projectDir)
    await cache.close()
    await project.cleanup()
  })
  // A root project name of this run only: Gradle's resolution results name it, not the workspace.
  const rootName = `gmesh-tmp-${Math.random().toString(36).slice(2)}`
  await appendFile(path.join(project.projectDir, 'settings.gradle'), `\nrootProject.name = '${rootName}'\n`)
  const hang = await addHangingTest(project.projectDir)
  const tmpDir = path.join(project.scratchDir, 'unit-tmp')
  await mkdir(tmpDir)
  const since = Date.now() - 1000 // file times lag the clock by a few ms
  const common = { workspaceDir: project.projectDir, cacheUrl: cache.url, gradleUserHome: project.gradleUserHome, daemon: true, timeoutMs: 4 * 60_000, tmpDir }

  const money = await runUnit({ ...common, unit: unitNamed(await javaMultiPlan(), ':money') })
  t.is(money.outcome, 'success', JSON.stringify(money.failure))
  const daemons = (await daemonsOf(project.gradleUserHome)).map(ref => ref.pid)
  t.is(daemons.length, 1)
  // Killing the daemon mid-build (a cancelled unit's) leaves the build's resolution results behind too.
  const cancel = new AbortController()
  const hung = await runUnit({ ...common, unit: hang, signal: cancel.signal, log: cancelWhenHanging(cancel) })
  t.is(hung.outcome, 'cancelled', JSON.stringify(hung.failure))
  t.deepEqual(hung.killedDaemons, daemons, 'the second unit was built by the first one\'s daemon')

  const ours = [project.projectDir, rootName] // a classpath file names the workspace, a resolution result the root project
  const inTmpDir = await gradleTempFilesOf(tmpDir, since, ours)
  t.true(inTmpDir.filter(name => name === 'gradle-worker-classpathNtxt').length >= 2, inTmpDir.join(' '))
  t.true(inTmpDir.includes('gradleN.bin'), inTmpDir.join(' '))
  t.deepEqual(await gradleTempFilesOf(JAVA_TMPDIR, since, ours), [])
})
