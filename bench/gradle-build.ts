// A warm clean build of examples/java-multi through the gmesh node as remote cache, against nginx as
// remote cache, Gradle's local directory cache and a cold build, all with one Gradle daemon.
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findGradleCommand } from '../src/gradle/gradle-command.js'
import type { GradleRunResult } from '../src/gradle/runner.js'
import { GmeshNode, REPO_ROOT } from './lib/gmesh-node.js'
import { stopGradleDaemons } from './lib/gradle-daemon.js'
import { buildOnce, coldVariant, fromCacheText, localVariant, remoteVariant, type BuildContext, type BuildVariant } from './lib/gradle-variants.js'
import { median } from './lib/load.js'
import { findNginx, NGINX_INSTALL_HINT, NginxServer } from './lib/nginx.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { processes, runCommand } from './lib/processes.js'
import { fmtSeconds, renderTable, type ResultRow } from './lib/table.js'

export const EXAMPLE = 'examples/java-multi'
export const WARM_GOAL_RATIO = 1.1

interface Timings { variant: BuildVariant, runs: GradleRunResult[] }

function medianMs (t: Timings | undefined): number | undefined {
  return t == null || t.runs.length === 0 ? undefined : median(t.runs.map((r) => r.durationMs))
}

/** Cold runs, then one seeding build per cache, then warm rounds that take the caches in turn. */
async function measureBuilds (ctx: BuildContext, caches: BuildVariant[], warmRuns: number, coldRuns: number): Promise<Map<string, Timings>> {
  const all = new Map<string, Timings>()
  const cold = coldVariant()
  await buildOnce(ctx, cold) // starts the daemon and warms its JIT; not measured
  all.set(cold.name, { variant: cold, runs: [] })
  for (let i = 0; i < coldRuns; i++) all.get(cold.name)?.runs.push(await buildOnce(ctx, cold))
  for (const v of caches) {
    const seed = await buildOnce(ctx, v)
    console.log(`  seeded ${v.name}: ${seed.summary.actionable?.executed ?? '?'} tasks executed in ${fmtSeconds(seed.durationMs)}`)
    all.set(v.name, { variant: v, runs: [] })
  }
  for (let round = 0; round < warmRuns; round++) {
    // Each round starts with the next cache, so no cache always follows the same one.
    const order = caches.map((_, i) => caches[(i + round) % caches.length])
    for (const v of order) {
      const r = await buildOnce(ctx, v)
      all.get(v.name)?.runs.push(r)
      console.log(`  warm ${round + 1}/${warmRuns} ${v.name.padEnd(28)} ${fmtSeconds(r.durationMs)}  from cache ${fromCacheText(r)}`)
    }
  }
  return all
}

function buildTable (timings: Map<string, Timings>, nodeName: string, nginxName: string): string {
  const node = timings.get(nodeName)
  const nodeMs = medianMs(node)
  const row = (refName: string, goal?: number): ResultRow => {
    const refMs = medianMs(timings.get(refName))
    const ratio = nodeMs != null && refMs != null ? nodeMs / refMs : undefined
    return {
      measure: `warm clean build: node vs ${refName}`,
      figure: nodeMs != null ? fmtSeconds(nodeMs) : 'n/a',
      reference: refMs != null ? fmtSeconds(refMs) : 'skipped',
      ratio,
      goal: goal != null ? `<= ${goal}x` : undefined,
      met: goal != null && ratio != null ? ratio <= goal : undefined
    }
  }
  const hits = (t: Timings | undefined): string => (t != null && t.runs.length > 0 ? fromCacheText(t.runs[t.runs.length - 1]) : 'n/a')
  const rows = [
    row(nginxName, WARM_GOAL_RATIO),
    row(localVariant().name),
    row(coldVariant().name),
    { measure: 'tasks from cache (last warm build): node vs nginx', figure: hits(node), reference: hits(timings.get(nginxName)) }
  ]
  return renderTable(`Gradle warm clean build of ${EXAMPLE} (median wall time)`, 'gmesh node', 'reference', rows)
}

async function gradleVersion (gradle: string, cwd: string): Promise<string> {
  const res = await runCommand('gradle --version', gradle, ['--version', '--no-daemon'], { cwd, timeoutMs: 120_000 })
  return /Gradle (\S+)/.exec(res.stdout)?.[1] ?? 'unknown'
}

export async function run (options: BenchOptions = currentBenchOptions()): Promise<void> {
  const warmRuns = options.quick ? 3 : 7
  const coldRuns = options.quick ? 1 : 3
  const root = await mkdtemp(join(tmpdir(), 'gmesh-bench-gradle-'))
  const projectDir = join(root, 'project')
  const gradleUserHome = join(root, 'gradle-home')
  await cp(join(REPO_ROOT, EXAMPLE), projectDir, { recursive: true, filter: (src) => !/[/\\](build|\.gradle)$/.test(src) })
  const gradle = (await findGradleCommand(projectDir)).executable
  const abort = new AbortController()
  const stopDaemons = async (): Promise<void> => {
    const killed = await stopGradleDaemons(gradle, gradleUserHome, projectDir)
    if (killed.length > 0) console.log(`  killed Gradle daemon(s) ${killed.join(', ')} that ignored gradle --stop`)
  }
  const removeCleanup = processes.addCleanup(async () => { abort.abort(); await stopDaemons() })
  const node = new GmeshNode(join(root, 'node'))
  const nginx = new NginxServer({ dir: join(root, 'nginx'), root: join(root, 'nginx-files'), workers: 1 })
  try {
    console.log(`Gradle ${await gradleVersion(gradle, projectDir)} with one daemon in a private GRADLE_USER_HOME (stopped with gradle --stop, then by pid); ${warmRuns} warm runs per cache, ${coldRuns} cold`)
    const caches: BuildVariant[] = []
    const nodeName = 'remote cache: gmesh node'
    const nginxName = 'remote cache: nginx'
    try {
      caches.push(remoteVariant(nodeName, (await node.start()).cacheUrl))
    } catch (err) {
      console.log(`gmesh node unavailable, its column is n/a: ${(err as Error).message}`)
    }
    if (findNginx() != null) {
      await nginx.start()
      caches.push(remoteVariant(nginxName, nginx.cacheUrl))
    } else console.log(`nginx is not installed: the reference is skipped (${NGINX_INSTALL_HINT})`)
    caches.push(localVariant())
    const ctx: BuildContext = { projectDir, gradleUserHome, gradle, signal: abort.signal }
    const timings = await measureBuilds(ctx, caches, warmRuns, coldRuns)
    console.log(buildTable(timings, nodeName, nginxName))
  } finally {
    removeCleanup()
    await stopDaemons()
    await node.stop()
    await nginx.stop()
    if (!options.keep) await rm(root, { recursive: true, force: true })
    else console.log(`kept ${root}`)
  }
}
