import test, { type ExecutionContext } from 'ava'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ShardedTestResult } from '../../src/plan/final-build.js'
import { runGradle } from '../../src/gradle/runner.js'
import { readTestReports, sumTestCounts, type TestCounts } from '../../src/gradle/test-reports.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS, type TempGradleProject } from '../helpers/gradle-project.js'
import { runGmesh, type NodeProcess } from '../helpers/gmesh-node.js'
import { startFarm, type BuildJson } from './distributed/helpers.js'

const MODULES = ['text', 'money', 'catalog', 'pricing', 'app']

/** A test class gmesh cannot tell from its source (a fully qualified annotation): it must run in a shard all the same. */
const QUALIFIED_CHECKS = `package example.text;

public class QualifiedChecks {
    @org.junit.Test
    public void slugsAreLowercase() {
        org.junit.Assert.assertEquals("tea", Slug.of("TEA"));
    }
}
`

/** A second test class for `money`, so two modules (text and money) have enough classes for two shards. */
const MONEY_ROUNDING_TEST = `package example.money;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class MoneyRoundingTest {
    @Test
    public void tenPercentOfSmallAmounts() {
        assertEquals(1, Money.ofCents(5, "EUR").percent(10).cents());
    }

    @Test
    public void centsPrintWithTwoDigits() {
        assertEquals("0.07 EUR", Money.ofCents(7, "EUR").toString());
    }
}
`

type ShardJson = BuildJson & { testShards?: Array<Omit<ShardedTestResult, 'files'> & { shards: string[], files: number }> }

async function gmeshShardedBuild (t: ExecutionContext, node: NodeProcess, copy: TempGradleProject): Promise<{ code: number | null, json?: ShardJson, stderr: string }> {
  // clean too: the merged reports must outlive the final build's clean
  const args = ['build', '--data', node.dataDir, '--project', copy.projectDir, '--json', '--no-daemon', '--shard-tests', '2', '--', 'clean', 'build']
  const result = await runGmesh(t, args, { ...copy.gradleEnv, GRADLE_USER_HOME: copy.gradleUserHome })
  try {
    return { ...result, json: JSON.parse(result.stdout) as ShardJson }
  } catch {
    return result
  }
}

/** Test counts of each module's JUnit reports in build/test-results/test. */
async function moduleCounts (projectDir: string): Promise<Map<string, TestCounts>> {
  const counts = new Map<string, TestCounts>()
  for (const module of MODULES) counts.set(module, sumTestCounts(await readTestReports(projectDir, `:${module}`)))
  return counts
}

test.serial('--shard-tests 2 -- clean build on three nodes: shard units run on the mesh, the final build skips the sharded test tasks, and their merged reports count as a plain build\'s', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'a distributed and a plain Gradle build on a shared 2-core machine')
  const [a, b, c] = await startFarm(t, [1, 1, 1])
  const meshCopy = await copyExample('java-multi')
  const plainCopy = await copyExample('java-multi')
  t.teardown(async () => { await Promise.all([meshCopy.cleanup(), plainCopy.cleanup()]) })
  for (const copy of [meshCopy, plainCopy]) {
    await writeFile(path.join(copy.projectDir, 'money', 'src', 'test', 'java', 'example', 'money', 'MoneyRoundingTest.java'), MONEY_ROUNDING_TEST)
    await writeFile(path.join(copy.projectDir, 'text', 'src', 'test', 'java', 'example', 'text', 'QualifiedChecks.java'), QUALIFIED_CHECKS)
  }

  const run = await gmeshShardedBuild(t, a!, meshCopy)
  t.is(run.code, 0, run.stderr)
  const { job, final, testShards } = run.json!
  t.is(job.state, 'done')
  const shardUnits = job.units.filter(u => / \[\d\/2\]$/.test(u.name))
  t.log(`units: ${job.units.map(u => `${u.name}@${u.result?.worker.slice(-6)}`).join(' ')}`)
  t.deepEqual(shardUnits.map(u => u.name).sort(), [':money:test [1/2]', ':money:test [2/2]', ':text:test [1/2]', ':text:test [2/2]'])
  for (const unit of shardUnits) {
    t.is(unit.result?.outcome, 'success')
    t.true([a, b, c].some(n => n!.info.peerId === unit.result?.worker))
    t.regex(unit.result?.testReports?.sha256 ?? '', /^[0-9a-f]{64}$/, 'the shard named its reports blob')
  }
  const sharded = [':money:test', ':text:test']
  t.deepEqual(final!.tasks.filter(task => sharded.includes(task.path)), [], 'the final build did not run the sharded test tasks')
  for (const module of ['money', 'text']) {
    t.true(final!.tasks.some(task => task.path === `:${module}:compileTestJava`), `the final build still compiled :${module}'s tests, as a plain build does`)
  }
  t.deepEqual(testShards?.map(s => [s.task, s.shards.length]).sort(), [[':money:test', 2], [':text:test', 2]])

  const plain = await runGradle({ projectDir: plainCopy.projectDir, args: ['build'], gradleUserHome: plainCopy.gradleUserHome, tmpDir: plainCopy.javaTmpDir, noDaemon: true, buildCache: false, stdout: null, stderr: null })
  t.is(plain.exitCode, 0)
  const expected = await moduleCounts(plainCopy.projectDir)
  const merged = await moduleCounts(meshCopy.projectDir)
  t.true([...expected.values()].every(counts => counts.tests > 0), 'every module of the plain build has tests')
  t.deepEqual(merged, expected, 'each module\'s reports count the same tests as a plain build')
  for (const shardedTask of testShards ?? []) {
    const module = shardedTask.task.split(':')[1]!
    t.is(expected.get(module)?.tests, shardedTask.tests, `${shardedTask.task}: the summary counts the merged tests`)
    t.is(shardedTask.files, (await readTestReports(meshCopy.projectDir, `:${module}`)).length)
  }
})
