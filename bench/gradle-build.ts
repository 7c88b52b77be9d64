// A warm clean build of examples/java-multi through the gmesh node as remote cache, against nginx as
// remote cache, Gradle's local directory cache and a cold build, all with one Gradle daemon.
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findGradleCommand } from '../src/gradle/gradle-command.js'
import type { GradleRunResult } from '../src/gradle/runner.js'
import { GmeshNode, REPO_ROOT } from './lib/gmesh-node.js'
import { stopGradleDaemons } from './lib/gradle-daemon.js'
import { buildOnce, coldVariant, fromCacheText, localVariant, remoteVariant, type BuildContext } from './lib/gradle-variants.js'
import { fixedCache, type CacheUnderTest } from './lib/mesh-cache.js'
import { median } from './lib/load.js'
import { findNginx, NGINX_INSTALL_HINT, NginxServer } from './lib/nginx.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { processes, runCommand } from './lib/processes.js'
import { fmtSeconds, renderTable, type ResultRow } from './lib/table.js'

export const EXAMPLE = 'examples/java-multi'
export const WARM_GOAL_RATIO = 1.1

interface Timings { runs: GradleRunResult[] }

function medianMs (t: Timings | undefined): number | undefined {
  return t == null || t.runs.length === 0 ? undefined : median(t.runs.map((r) => r.durationMs))
}

/** Cold runs, then one seeding build per cache, then warm rounds that take the caches in turn. */
async function measureBuilds (ctx: BuildContext, caches: CacheUnderTest[], warmRuns: number, coldRuns: number): Promise<Map<string, Timings>> {
  const all = new Map<string, Timings>()
  const cold = coldVariant()
  await buildOnce(ctx, cold) // starts the daemon and warms its JIT; not measured
  all.set(cold.name, { runs: [] })
  for (let i = 0; i < coldRuns; i++) all.get(cold.name)?.runs.push(await buildOnce(ctx, cold))
  for (const cache of caches) {
    all.set(cache.name, { runs: [] })
    if (!cache.seed) continue
    const seed = await buildWith(ctx, cache)
    console.log(`  seeded ${cache.name}: ${seed.summary.actionable?.executed ?? '?'} tasks executed in ${fmtSeconds(seed.durationMs)}`)
  }
  const failed = new Set<string>()
  for (let round = 0; round < warmRuns; round++) {
    // Each round starts with the next cache, so no cache always follows the same one.
    const order = caches.map((_, i) => caches[(i + round) % caches.length]).filter((c) => !failed.has(c.name))
    for (const cache of order) {
      try {
        const r = await buildWith(ctx, cache)
        all.get(cache.name)?.runs.push(r)
        console.log(`  warm ${round + 1}/${warmRuns} ${cache.name.padEnd(34)} ${fmtSeconds(r.durationMs)}  from cache ${fromCacheText(r)}`)
      } catch (err) {
        if (cache.optional !== true || ctx.signal.aborted) throw err
        failed.add(cache.name)
        console.log(`  ${cache.name} failed and is left out: ${(err as Error).message}`)
      }
    }
  }
  return all
}

async function buildWith (ctx: BuildContext, cache: CacheUnderTest): Promise<GradleRunResult> {
  try {
    return await buildOnce(ctx, await cache.acquire())
  } finally {
    await cache.release()
  }
}

/** Rows of [figure, reference, goal]: each compares two medians of the same run. */
function buildTable (timings: Map<string, Timings>, rows: Array<[string, string, number?]>, hitsOf: string[]): string {
  const row = ([figureName, refName, goal]: [string, string, number?]): ResultRow => {
    const figure = medianMs(timings.get(figureName))
    const ref = medianMs(timings.get(refName))
    const ratio = figure != null && ref != null ? figure / ref : undefined
    return {
      measure: `${figureName} vs ${refName}`,
      figure: figure != null ? fmtSeconds(figure) : 'n/a',
      reference: ref != null ? fmtSeconds(ref) : 'skipped',
      ratio,
      goal: goal != null ? `<= ${goal}x` : undefined,
      met: goal != null && ratio != null ? ratio <= goal : undefined
    }
  }
  const hits = (name: string): ResultRow => {
    const runs = timings.get(name)?.runs ?? []
    return { measure: `tasks from cache (last build): ${name}`, figure: runs.length > 0 ? fromCacheText(runs[runs.length - 1]) : 'n/a', reference: '' }
  }
  return renderTable(`Gradle warm clean build of ${EXAMPLE}: median wall time of a warm clean build with each cache`, 'figure', 'reference', [...rows.map(row), ...hitsOf.map(hits)])
}

async function gradleVersion (gradle: string, cwd: string): Promise<string> {
  const res = await runCommand('gradle --version', gradle, ['--version', '--no-daemon'], { cwd, timeoutMs: 120_000 })
  return /Gradle (\S+)/.exec(res.stdout)?.[1] ?? 'unknown'
}

const NAMES = {
  node: 'remote cache: gmesh node',
  nginx: 'remote cache: nginx'
}

/** The node, nginx and Gradle's local cache, each left out with a note when it cannot run here (the build through a mesh peer is bench/mesh-build.ts). */
async function cachesUnderTest (node: GmeshNode, nginx: NginxServer): Promise<CacheUnderTest[]> {
  const caches: CacheUnderTest[] = []
  try {
    const info = await node.start()
    caches.push(fixedCache(remoteVariant(NAMES.node, info.cacheUrl)))
  } catch (err) {
    console.log(`gmesh node unavailable, its rows are n/a: ${(err as Error).message}`)
  }
  if (findNginx() != null) {
    await nginx.start()
    caches.push(fixedCache(remoteVariant(NAMES.nginx, nginx.cacheUrl)))
  } else console.log(`nginx is not installed: the reference is skipped (${NGINX_INSTALL_HINT})`)
  caches.push(fixedCache(localVariant()))
  return caches
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
    const caches = await cachesUnderTest(node, nginx)
    const ctx: BuildContext = { projectDir, gradleUserHome, gradle, signal: abort.signal }
    const timings = await measureBuilds(ctx, caches, warmRuns, coldRuns)
    const local = localVariant().name
    console.log(buildTable(timings, [
      [NAMES.node, NAMES.nginx, WARM_GOAL_RATIO],
      [NAMES.node, local],
      [NAMES.node, coldVariant().name]
    ], [NAMES.node, NAMES.nginx]))
  } finally {
    removeCleanup()
    await stopDaemons()
    await node.stop()
    await nginx.stop()
    if (!options.keep) await rm(root, { recursive: true, force: true })
    else console.log(`kept ${root}`)
  }
}
