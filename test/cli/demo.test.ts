import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'
import { gradleTempFilePaths, gradleTempFilesOf, JAVA_TMPDIR } from '../helpers/gradle-temp-files.js'

/** Runs `gmesh demo ARGS` with its temp directories under a scratch TMPDIR; the process is killed by the teardown if it still runs. */
async function demo (t: { teardown: (fn: () => void | Promise<void>) => void }, args: string[]): Promise<{ code: number | null, stdout: string, stderr: string, scratch: string }> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'gmesh-demo-cli-'))
  t.teardown(async () => { await rm(scratch, { recursive: true, force: true }) })
  const child = spawn(process.execPath, [GMESH_BIN, 'demo', ...args], { env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr, scratch }
}

test('--nodes outside 2 to 16 is a usage error before any node starts', async t => {
  t.timeout(30_000)
  const cases: Array<[string[], string]> = [
    [['--nodes', '999'], 'each node a process of ~100 MiB: 999 would swamp the machine'],
    [['--nodes', '1'], 'one node cannot show a build taken from a peer'],
    [['--nodes', '17', '--distributed'], 'the distributed demo has the same limit'],
    [['--nodes', '1', '--distributed'], 'and needs two nodes too']
  ]
  for (const [args, why] of cases) {
    const result = await demo(t, args)
    t.is(result.code, 2, `${args.join(' ')}: ${why}\n${result.stderr}`)
    t.regex(result.stderr, new RegExp(`gmesh: invalid --nodes "${args[1]!}": the demo runs 2 to 16 nodes`), why)
    t.is(result.stdout, '', 'no node was started')
    t.deepEqual(await readdir(result.scratch), [], 'nothing was made')
  }
})

test('a demo\'s Gradle JVMs keep their temp files in the demo\'s temp dir, removed with it: /tmp gets none of them', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'two nodes and two real Gradle builds on a shared 2-core machine')
  const since = Date.now() - 1000 // file times lag the clock by a few ms
  const result = await demo(t, ['--json', '--', ':money:test'])
  // a classpath file names the Gradle user home's jars, in the demo's dir under the scratch TMPDIR
  t.teardown(async () => { for (const file of await gradleTempFilePaths(JAVA_TMPDIR, since, [result.scratch])) await rm(file, { force: true }) })
  t.is(result.code, 0, result.stderr)
  const report = JSON.parse(result.stdout) as { builds: Array<{ exitCode: number, actionable?: { executed: number } }> }
  t.deepEqual(report.builds.map(build => build.exitCode), [0, 0])
  t.true((report.builds[0]?.actionable?.executed ?? 0) >= 3, 'the first build compiled money and ran its tests in a test JVM')
  t.deepEqual(await gradleTempFilesOf(JAVA_TMPDIR, since, [result.scratch]), [], 'no Gradle temp file of the demo in /tmp')
  t.deepEqual(await readdir(result.scratch), [], 'the demo removed its temp dir, and their temp files with it')
})
