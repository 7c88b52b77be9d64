import test from 'ava'
import path from 'node:path'
import { planDistributedBuild } from '../../src/build/build-plan.js'
import { runGradle } from '../../src/gradle/runner.js'
import { finalBuildArgs, unitGradleArgs } from '../../src/plan/units.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'

/** The task paths a real Gradle dry run of `args` in `dir` lists (every one SKIPPED, none executed). */
async function dryRunTasks (dir: string, args: string[], gradleUserHome: string): Promise<string[]> {
  const result = await runGradle({ projectDir: dir, args: [...args, '--dry-run'], gradleUserHome, noDaemon: true, buildCache: false, stdout: null, stderr: null })
  if (result.exitCode !== 0) throw new Error(`gradle ${args.join(' ')} --dry-run in ${dir} exited with ${result.exitCode}`)
  return result.summary.tasks.map(task => task.path).sort()
}

test('real Gradle: from a subproject, the build root is planned and the units at the root do what `gradle build` does in the subproject', async t => {
  t.timeout(3 * GRADLE_TEST_TIMEOUT_MS, 'three real Gradle runs on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const money = path.join(project.projectDir, 'money')
  const built = await planDistributedBuild({ projectDir: money, tasks: ['build'], gradleUserHome: project.gradleUserHome, noDaemon: true })
  t.is(built.buildRoot, project.projectDir, 'the root with settings.gradle is snapshotted, not money/')
  t.is(built.projectDir, money)
  t.deepEqual(built.plan.units.map(u => u.name), [':money', ':money:test'])

  const gradleInMoney = await dryRunTasks(money, ['build'], project.gradleUserHome)
  t.true(gradleInMoney.includes(':money:test') && gradleInMoney.every(task => task.startsWith(':money:')), gradleInMoney.join(' '))
  const planned = built.plan.units.flatMap(u => u.tasks)
  t.deepEqual([...planned, ...built.plan.finalBuildOnly].sort(), gradleInMoney, 'the units and the final build cover exactly what gradle build runs in money/')
  t.deepEqual(built.plan.finalBuildOnly, [':money:assemble', ':money:check', ':money:build'], 'lifecycle tasks without outputs stay local')
  // a worker runs each unit's task paths in its workspace, a copy of the build root
  const unitsAtRoot = await dryRunTasks(built.buildRoot, built.plan.units.flatMap(unitGradleArgs), project.gradleUserHome)
  t.deepEqual(unitsAtRoot, [...planned].sort(), 'run at the root, the units\' task paths select the same tasks')
  t.deepEqual(finalBuildArgs(built.plan), ['build'], 'the final build asks Gradle in money/ for what the user asked')
})
