import test from 'ava'
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { probeTaskGraph, renderTaskGraphProbeScript } from '../../src/gradle/task-graph.js'
import { renderTestShardScript } from '../../src/gradle/test-shard-script.js'
import { runUnit } from '../../src/gradle/unit-runner.js'
import { mergeShardReports } from '../../src/plan/final-build.js'
import { planBuild } from '../../src/plan/plan-build.js'
import type { UnitPlan } from '../../src/plan/units.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'

test('the probe and the shard script ask the report for outputLocation (Gradle 6.1+, 8) before destination (Gradle 4.4)', t => {
  for (const script of [renderTaskGraphProbeScript('/tmp/g.json'), renderTestShardScript({ testTask: ':a:test', index: 1, count: 2, salt: 0, reportDirFile: '/tmp/d' })]) {
    const location = script.indexOf("report.respondsTo('getOutputLocation')) return report.outputLocation.get().asFile.absolutePath")
    t.true(location > 0 && location < script.indexOf('return report.destination?.absolutePath'), script)
  }
  t.true(renderTestShardScript({ testTask: ':a:test', index: 1, count: 2, salt: 0, reportDirFile: '/tmp/d' }).includes("def gmeshReportDirFile = new File('/tmp/d')"))
  t.true(renderTestShardScript({ testTask: ':a:test', index: 1, count: 2, salt: 0 }).includes('def gmeshReportDirFile = null'))
})

test('a shard that returns no report although the planner found test classes for it is a warning of the merge', async t => {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-report-dirs-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  const plan: Pick<UnitPlan, 'shardedTestTasks'> = {
    shardedTestTasks: [{ task: ':a:test', project: ':a', shardUnits: ['u1', 'u2'], classes: [['p.OneTest'], ['p.TwoTest', 'p.ThreeTest']] }]
  }
  const one = { name: 'TEST-p.OneTest.xml', content: '<testsuite name="p.OneTest" tests="3" failures="0" errors="0" skipped="0"></testsuite>' }
  const [merged] = await mergeShardReports(root, plan, new Map([['u1', [one]], ['u2', []]]))
  t.is(merged?.tests, 3)
  t.deepEqual(merged?.warnings, [':a:test [2/2] returned no test reports, though its classes include p.TwoTest and 1 more: its tests may not have run, or wrote their reports where gmesh did not look'])
  const [whole] = await mergeShardReports(root, plan, new Map([['u1', [one]], ['u2', [{ ...one, name: 'TEST-p.TwoTest.xml' }]]]))
  t.deepEqual(whole?.warnings, [])
})

test.serial('real Gradle: with buildDir = \'out\', the shards return their reports and the merge writes where the test task would', async t => {
  t.timeout(3 * GRADLE_TEST_TIMEOUT_MS, 'three real Gradle builds on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  await appendFile(path.join(project.projectDir, 'build.gradle'), "\nproject(':text') { buildDir = 'out' }\n")
  const graph = await probeTaskGraph({ projectDir: project.projectDir, tasks: ['build'], gradleUserHome: project.gradleUserHome, noDaemon: true, env: project.gradleEnv })
  const resultsDir = path.join(project.projectDir, 'text', 'out', 'test-results', 'test')
  t.is(graph.tasks.find(task => task.path === ':text:test')?.junitXmlDir, resultsDir)
  t.is(graph.tasks.find(task => task.path === ':text:test')?.htmlReportDir, path.join(project.projectDir, 'text', 'out', 'reports', 'tests', 'test'))
  t.is(graph.tasks.find(task => task.path === ':text:compileJava')?.junitXmlDir, undefined, 'only test tasks have reports')
  const plan = await planBuild(graph, { rootDir: project.projectDir, requested: ['build'], shardTests: [{ module: 'text', shards: 2 }] })
  const reportsByUnit = new Map<string, Array<{ name: string, content: string }>>()
  for (const shard of plan.units.filter(u => u.shard != null)) {
    const result = await runUnit({ unit: shard, workspaceDir: project.projectDir, cacheUrl: 'http://127.0.0.1:9/cache/', gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, timeoutMs: 4 * 60_000 })
    t.is(result.outcome, 'success', JSON.stringify(result.failure))
    t.is(result.testReports?.length, 1, `${shard.name}: one class, one report, read from out/`)
    reportsByUnit.set(shard.id, result.testReports ?? [])
  }
  await rm(resultsDir, { recursive: true, force: true })
  const [merged] = await mergeShardReports(project.projectDir, plan, reportsByUnit)
  t.is(merged?.dir, resultsDir)
  t.true((merged?.tests ?? 0) > 0)
  t.deepEqual(merged?.warnings, [])
  t.deepEqual((await readdir(resultsDir)).sort(), ['TEST-example.text.ColumnsTest.xml', 'TEST-example.text.SlugTest.xml'])
})
