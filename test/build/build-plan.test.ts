import test, { type ExecutionContext } from 'ava'
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { planDistributedBuild } from '../../src/build/build-plan.js'
import { OutsideBuildRootError } from '../../src/gradle/build-dirs.js'
import { runGradle } from '../../src/gradle/runner.js'
import { finalBuildArgs, unitGradleArgs } from '../../src/plan/units.js'
import { copyExample, gradleTempEnv, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'

/** The task paths a real Gradle dry run of `args` in `dir` lists (every one SKIPPED, none executed). */
async function dryRunTasks (dir: string, args: string[], gradleUserHome: string, tmpDir: string): Promise<string[]> {
  const result = await runGradle({ projectDir: dir, args: [...args, '--dry-run'], gradleUserHome, tmpDir, noDaemon: true, buildCache: false, stdout: null, stderr: null })
  if (result.exitCode !== 0) throw new Error(`gradle ${args.join(' ')} --dry-run in ${dir} exited with ${result.exitCode}`)
  return result.summary.tasks.map(task => task.path).sort()
}

test('real Gradle: from a subproject, the build root is planned and the units at the root do what `gradle build` does in the subproject', async t => {
  t.timeout(3 * GRADLE_TEST_TIMEOUT_MS, 'three real Gradle runs on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const money = path.join(project.projectDir, 'money')
  const built = await planDistributedBuild({ projectDir: money, tasks: ['build'], gradleUserHome: project.gradleUserHome, noDaemon: true, env: project.gradleEnv })
  t.is(built.buildRoot, project.projectDir, 'the root with settings.gradle is snapshotted, not money/')
  t.is(built.projectDir, money)
  t.deepEqual(built.plan.units.map(u => u.name), [':money', ':money:test'])

  const gradleInMoney = await dryRunTasks(money, ['build'], project.gradleUserHome, project.javaTmpDir)
  t.true(gradleInMoney.includes(':money:test') && gradleInMoney.every(task => task.startsWith(':money:')), gradleInMoney.join(' '))
  const planned = built.plan.units.flatMap(u => u.tasks)
  t.deepEqual([...planned, ...built.plan.finalBuildOnly].sort(), gradleInMoney, 'the units and the final build cover exactly what gradle build runs in money/')
  t.deepEqual(built.plan.finalBuildOnly, [':money:assemble', ':money:check', ':money:build'], 'lifecycle tasks without outputs stay local')
  // a worker runs each unit's task paths in its workspace, a copy of the build root
  const unitsAtRoot = await dryRunTasks(built.buildRoot, built.plan.units.flatMap(unitGradleArgs), project.gradleUserHome, project.javaTmpDir)
  t.deepEqual(unitsAtRoot, [...planned].sort(), 'run at the root, the units\' task paths select the same tasks')
  t.deepEqual(finalBuildArgs(built.plan), ['build'], 'the final build asks Gradle in money/ for what the user asked')
})

/** Writes `files` (relative path -> text) under a fresh temp directory, removed when the test ends; its real path. */
async function tempTree (t: ExecutionContext, files: Record<string, string>): Promise<string> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'gmesh-build-dirs-')))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  for (const [relative, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true })
    await writeFile(path.join(root, relative), text)
  }
  await mkdir(path.join(root, 'java-tmp'))
  return root
}

/** Gradle's JVMs keep their temp files in the tree's java-tmp, removed with it. */
const tempEnv = (root: string): Record<string, string> => gradleTempEnv(path.join(root, 'java-tmp'))

const JAVA_LIB = "apply plugin: 'java'\ngroup = 'example'\nversion = '1'\n"

test('real Gradle: a composite build including a build outside its root is refused before anything is snapshotted; one inside is planned', async t => {
  t.timeout(2 * GRADLE_TEST_TIMEOUT_MS, 'two real Gradle runs on a shared 2-core machine')
  const root = await tempTree(t, {
    'app/settings.gradle': "rootProject.name = 'app'\nincludeBuild '../lib'\n",
    'app/build.gradle': "apply plugin: 'java'\n",
    'app/src/main/java/a/A.java': 'package a;\npublic class A {}\n',
    'lib/settings.gradle': "rootProject.name = 'lib'\n",
    'lib/build.gradle': JAVA_LIB,
    'inner/settings.gradle': "rootProject.name = 'inner'\nincludeBuild 'lib'\n",
    'inner/build.gradle': "apply plugin: 'java'\n",
    'inner/lib/settings.gradle': "rootProject.name = 'lib'\n",
    'inner/lib/build.gradle': JAVA_LIB
  })
  const gradleUserHome = path.join(root, 'gradle-user-home')
  const err = await t.throwsAsync(planDistributedBuild({ projectDir: path.join(root, 'app'), tasks: ['build'], gradleUserHome, noDaemon: true, env: tempEnv(root) }), { instanceOf: OutsideBuildRootError })
  t.is(err.message, `the included build 'lib' (${root}/lib) lies outside the build's root ${root}/app, and workers get only a copy of that directory: ` +
    `move it below it, or make a directory holding all of them, such as ${root}, the build's root (its settings.gradle including them) and give it with --project`)

  const inside = await planDistributedBuild({ projectDir: path.join(root, 'inner'), tasks: ['build'], gradleUserHome, noDaemon: true, env: tempEnv(root) })
  t.deepEqual(inside.graph.includedBuilds, [{ name: 'lib', dir: path.join(root, 'inner/lib') }])
  t.deepEqual(inside.graph.projects, [{ name: ':', dir: path.join(root, 'inner') }])
  t.deepEqual(inside.plan.units.map(u => u.name), [':', ':test'])
})

test('real Gradle: a subproject whose projectDir settings put outside the build\'s root is refused, naming it', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle run on a shared 2-core machine')
  const root = await tempTree(t, {
    'app/settings.gradle': "rootProject.name = 'app'\ninclude 'core', 'x'\nproject(':x').projectDir = new File(settingsDir, '../x')\n",
    'app/build.gradle': "subprojects { apply plugin: 'java' }\n",
    'app/core/src/main/java/c/C.java': 'package c;\npublic class C {}\n',
    'x/src/main/java/x/X.java': 'package x;\npublic class X {}\n'
  })
  const err = await t.throwsAsync(planDistributedBuild({ projectDir: path.join(root, 'app'), tasks: ['build'], gradleUserHome: path.join(root, 'gradle-user-home'), noDaemon: true, env: tempEnv(root) }), { instanceOf: OutsideBuildRootError })
  t.regex(err.message, new RegExp(`^the project :x \\(${root}/x\\) lies outside the build's root ${root}/app, .* such as ${root}, .* give it with --project$`))
})
