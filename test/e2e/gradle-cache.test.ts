import test, { type ExecutionContext } from 'ava'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import { parseBuildOutput, type BuildSummary } from '../../src/gradle/build-output.js'
import { runGradle } from '../../src/gradle/runner.js'
import { copyExample, JAVA_MULTI_CACHEABLE_TASKS, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'
import { startNode, runGmesh, removeDataDir, type NodeProcess } from '../helpers/gmesh-node.js'

const MODULES = ['text', 'money', 'catalog', 'pricing', 'app']

interface CacheStats { entries: number, bytes: number, hits: number, misses: number }

async function cacheStats (t: ExecutionContext, node: NodeProcess): Promise<CacheStats> {
  const status = await runGmesh(t, ['status', '--data', node.dataDir, '--json'])
  if (status.code !== 0) throw new Error(`gmesh status failed (${String(status.code)}): ${status.stderr}`)
  return (JSON.parse(status.stdout) as { cache: CacheStats }).cache
}

interface BuildRun { code: number | null, summary: BuildSummary, stderr: string }

/** The laptop flow: `gmesh init-gradle`, then plain `gradle build` with no flag about caching. */
async function buildAfterInitGradle (t: ExecutionContext, node: NodeProcess, projectDir: string, gradleUserHome: string, tmpDir: string): Promise<BuildRun> {
  const init = await runGmesh(t, ['init-gradle', '--data', node.dataDir, '--gradle-user-home', gradleUserHome])
  if (init.code !== 0) throw new Error(`gmesh init-gradle failed (${String(init.code)}): ${init.stderr}`)
  let stderr = ''
  const result = await runGradle({
    projectDir,
    args: ['build'],
    gradleUserHome,
    tmpDir,
    noDaemon: true,
    buildCache: false,
    stdout: null,
    stderr: new Writable({ write (chunk, _encoding, done) { stderr += String(chunk); done() } })
  })
  return { code: result.exitCode, summary: result.summary, stderr }
}

/** One build through the node: `gmesh gradle -- build` as a real process, no daemon. */
async function buildThroughGmeshGradle (t: ExecutionContext, node: NodeProcess, projectDir: string, gradleUserHome: string, env: Record<string, string>): Promise<BuildRun> {
  const result = await runGmesh(t, [
    'gradle', '--data', node.dataDir, '--project', projectDir,
    '--', '--no-daemon', '--gradle-user-home', gradleUserHome, 'build'
  ], env)
  return { code: result.code, summary: parseBuildOutput(`${result.stdout}\n${result.stderr}`), stderr: result.stderr }
}

function pathsWith (summary: BuildSummary, outcome: string): string[] {
  return summary.tasks.filter(task => task.outcome === outcome).map(task => task.path).sort()
}

test('a build after init-gradle fills a real node; a clean build elsewhere through gmesh gradle gets every cacheable task FROM-CACHE', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'two real Gradle builds on a shared 2-core machine')
  const project = await copyExample('java-multi')
  const node = await startNode()
  t.teardown(async () => {
    await removeDataDir(node)
    await project.cleanup()
  })

  const first = await buildAfterInitGradle(t, node, project.projectDir, project.gradleUserHome, project.javaTmpDir)
  t.is(first.code, 0, first.stderr)
  t.deepEqual(pathsWith(first.summary, 'EXECUTED').filter(p => JAVA_MULTI_CACHEABLE_TASKS.includes(p)), JAVA_MULTI_CACHEABLE_TASKS)
  t.is(first.summary.actionable?.fromCache, 0)
  const afterFirst = await cacheStats(t, node)
  t.is(afterFirst.entries, JAVA_MULTI_CACHEABLE_TASKS.length, 'one entry per cacheable task was pushed')
  t.true(afterFirst.bytes > 0)
  t.is(afterFirst.hits, 0)
  t.true(afterFirst.misses >= JAVA_MULTI_CACHEABLE_TASKS.length, 'Gradle looked each entry up before pushing it')

  // Delete the build outputs and build again with an empty Gradle home (an empty local cache,
  // as on another machine): everything cacheable has to come from the node.
  for (const module of MODULES) await rm(path.join(project.projectDir, module, 'build'), { recursive: true, force: true })
  const second = await buildThroughGmeshGradle(t, node, project.projectDir, path.join(project.scratchDir, 'second-home'), project.gradleEnv)
  t.is(second.code, 0, second.stderr)
  t.deepEqual(pathsWith(second.summary, 'FROM-CACHE'), JAVA_MULTI_CACHEABLE_TASKS)
  t.is(second.summary.actionable?.fromCache, JAVA_MULTI_CACHEABLE_TASKS.length)
  t.regex(second.stderr, new RegExp(`gmesh: \\d+ actionable tasks: ${JAVA_MULTI_CACHEABLE_TASKS.length} from cache`))

  const afterSecond = await cacheStats(t, node)
  t.is(afterSecond.hits - afterFirst.hits, JAVA_MULTI_CACHEABLE_TASKS.length, 'the node counted one hit per FROM-CACHE task')
  t.is(afterSecond.entries, afterFirst.entries, 'nothing new was stored')
  t.is(await node.stop(), 0, 'the node stops cleanly on SIGTERM')
})

test('gmesh gradle --read-only pushes nothing, even where init-gradle installed a script that pushes', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'a real Gradle build on a shared 2-core machine')
  const project = await copyExample('java-multi')
  const node = await startNode()
  t.teardown(async () => {
    await removeDataDir(node)
    await project.cleanup()
  })
  const init = await runGmesh(t, ['init-gradle', '--data', node.dataDir, '--gradle-user-home', project.gradleUserHome])
  t.is(init.code, 0, init.stderr)
  const build = await runGmesh(t, [
    'gradle', '--read-only', '--data', node.dataDir, '--project', project.projectDir,
    '--', '--no-daemon', '--gradle-user-home', project.gradleUserHome, 'build'
  ], project.gradleEnv)
  t.is(build.code, 0, build.stderr)
  const summary = parseBuildOutput(`${build.stdout}\n${build.stderr}`)
  t.deepEqual(pathsWith(summary, 'EXECUTED').filter(p => JAVA_MULTI_CACHEABLE_TASKS.includes(p)), JAVA_MULTI_CACHEABLE_TASKS, 'the build ran its tasks')
  const stats = await cacheStats(t, node)
  t.true(stats.misses >= JAVA_MULTI_CACHEABLE_TASKS.length, 'it read from the node')
  t.is(stats.entries, 0, 'and stored nothing in it')
})
