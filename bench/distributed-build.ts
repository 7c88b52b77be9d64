// A test-heavy build (examples/java-tests-io, JUnit tests that wait on I/O) spread by `gmesh build` over
// 3 loopback nodes (--accept-builds --slots 1), against the same build by plain Gradle on one node, in
// the same run. Both start from a fresh copy of the project and an empty Gradle user home; the plain build
// runs second, after the nodes are stopped, so any warm-page-cache advantage goes to the reference.
// The figures (speedup, critical path, scheduling overhead per unit) are defined in bench/lib/build-overhead.ts.
// Runnable alone: node dist/bench/distributed-build.js [--keep]
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { NodeClient } from '../src/client/node-client.js'
import { findGradleCommand } from '../src/gradle/gradle-command.js'
import { runGradle, type GradleRunResult } from '../src/gradle/runner.js'
import { shortId } from '../src/tui/format.js'
import { meshFigures, parseBuildSummary, type BuildSummaryJson, type MeshFigures } from './lib/build-overhead.js'
import { GMESH_BIN, GmeshNode, REPO_ROOT, type NodeInfo } from './lib/gmesh-node.js'
import { stopGradleDaemons } from './lib/gradle-daemon.js'
import { bootstrapAddress } from './lib/mesh-cache.js'
import { waitForPeers, type MeshNode } from './lib/mesh-nodes.js'
import { stopChildrenOnSignal } from './lib/mesh-standalone.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { processes, runCommand } from './lib/processes.js'
import { fmtMs, fmtSeconds, renderTable, type ResultRow } from './lib/table.js'

export const EXAMPLE = 'examples/java-tests-io'
export const NODES = 3
const BUILD_TIMEOUT_MS = 15 * 60_000

export class DistributedBuildError extends Error {
  override name = 'DistributedBuildError'
}

interface Distributed { wallMs: number, summary: BuildSummaryJson, flags: string[] }
interface Reference { wallMs: number, result: GradleRunResult }

/** Stops the Gradle daemons of the user homes it was given (gradle --stop, then by pid). */
class DaemonHomes {
  private readonly homes: string[] = []
  constructor (private readonly gradle: string, private readonly cwd: string) {}
  add (home: string): string { this.homes.push(home); return home }
  /** Each home is stopped once: its daemon logs stay, and another `gradle --stop` would only cost a JVM start. */
  async stopAll (): Promise<void> {
    for (const home of this.homes.splice(0)) {
      const killed = await stopGradleDaemons(this.gradle, home, this.cwd)
      if (killed.length > 0) console.log(`  killed Gradle daemon(s) ${killed.join(', ')}`)
    }
  }
}

async function copyExample (root: string, name: string): Promise<string> {
  const dir = join(root, name)
  await cp(join(REPO_ROOT, EXAMPLE), dir, { recursive: true, filter: (src) => !/[/\\](build|\.gradle)$/.test(src) })
  return dir
}

/** A loopback `gmesh up --accept-builds --slots 1` in `root/name`, joining `seed` when given. */
async function startBuildNode (root: string, name: string, seed?: NodeInfo): Promise<MeshNode & { dataDir: string }> {
  const args = ['--log-level', 'warn', '--accept-builds', '--slots', '1']
  if (seed != null) {
    const address = bootstrapAddress(seed)
    if (address == null) throw new DistributedBuildError('the first node listens on no multiaddr')
    args.push('--bootstrap', address)
  }
  const dataDir = join(root, name)
  const node = new GmeshNode(dataDir, args)
  try {
    const info = await node.start()
    return { node, info, dataDir, client: await NodeClient.connect(dataDir, { timeoutMs: 30_000 }) }
  } catch (err) {
    await node.stop()
    throw err
  }
}

/** `--no-daemon` when this build of `gmesh build` has it, so its final build runs like the one-node build. */
async function noDaemonFlag (): Promise<string[]> {
  const help = await runCommand('gmesh build --help', process.execPath, [GMESH_BIN, 'build', '--help'], { cwd: REPO_ROOT, timeoutMs: 30_000 })
  return help.stdout.includes('--no-daemon') ? ['--no-daemon'] : []
}

/** 3 fresh nodes that see each other; `gmesh build --json -- build` through the first; the nodes stopped after. */
async function distributed (root: string, daemons: DaemonHomes): Promise<Distributed> {
  const nodes: Array<MeshNode & { dataDir: string }> = []
  try {
    nodes.push(await startBuildNode(root, 'node-1'))
    for (let i = 2; i <= NODES; i++) nodes.push(await startBuildNode(root, `node-${i}`, nodes[0].info))
    for (const n of nodes) {
      daemons.add(join(n.dataDir, 'builds', 'gradle-home'))
      await waitForPeers(n, NODES - 1)
    }
    const project = await copyExample(root, 'project-mesh')
    const flags = await noDaemonFlag()
    const gradleUserHome = daemons.add(join(root, 'gradle-home-mesh'))
    const res = await runCommand('gmesh build', process.execPath,
      [GMESH_BIN, 'build', '--data', nodes[0].dataDir, '--project', project, '--json', ...flags, '--', 'build'],
      { cwd: REPO_ROOT, env: { ...process.env, GRADLE_USER_HOME: gradleUserHome }, timeoutMs: BUILD_TIMEOUT_MS })
    if (res.code !== 0) {
      let why = ''
      try { why = parseBuildSummary(res.stdout).job.state } catch { /* no summary: the stderr tail says why */ }
      throw new DistributedBuildError(`gmesh build exited ${res.code}${why === '' ? '' : ` (job ${why})`}\n${res.stderr.slice(-3000)}`)
    }
    return { wallMs: res.ms, summary: parseBuildSummary(res.stdout), flags }
  } finally {
    await daemons.stopAll()
    for (const n of nodes) {
      if (n.node.problems.length > 0) console.log(`  ${n.dataDir.slice(root.length + 1)} logged ${n.node.problems.length} warning(s); last: ${n.node.problems[n.node.problems.length - 1].slice(0, 300)}`)
      await n.node.stop()
    }
  }
}

/** `gradle --no-daemon build` of a fresh copy, empty Gradle user home, no build cache: the one-node build. */
async function reference (root: string, gradle: string, daemons: DaemonHomes, signal: AbortSignal): Promise<Reference> {
  const projectDir = await copyExample(root, 'project-one')
  let tail = ''
  const keepTail = (b: Buffer | string): void => { tail = (tail + b.toString()).slice(-3000) }
  const out = new Writable({ write (chunk, _enc, done) { keepTail(chunk as Buffer); done() } })
  const started = performance.now()
  try {
    const result = await runGradle({
      projectDir, args: ['build'], gradleUserHome: daemons.add(join(root, 'gradle-home-one')), gradleExecutable: gradle,
      noDaemon: true, buildCache: false, signal, stdout: out, stderr: out
    })
    if (result.exitCode !== 0) throw new DistributedBuildError(`one-node gradle build exited ${result.exitCode}\n${tail}`)
    return { wallMs: performance.now() - started, result }
  } finally {
    await daemons.stopAll()
  }
}

function table (d: Distributed, ref: Reference, f: MeshFigures): string {
  const t = d.summary.timings
  const spread = f.perWorker.map(w => w.units).join('+')
  const fin = d.summary.final?.actionable
  const refTasks = ref.result.summary.actionable
  const perUnit = (ms: number): string => f.units === 0 ? '-' : fmtMs(ms / f.units)
  const rows: ResultRow[] = [
    { measure: 'build wall time', figure: fmtSeconds(d.wallMs), reference: fmtSeconds(ref.wallMs), ratio: d.wallMs / ref.wallMs },
    { measure: 'speedup (one node / 3 nodes)', figure: `${(ref.wallMs / d.wallMs).toFixed(2)}x`, reference: '1.00x' },
    { measure: 'units, on how many nodes', figure: `${f.ran}/${f.units} on ${f.perWorker.length} (${spread})`, reference: '1 Gradle build' },
    { measure: 'plan (task graph probe, --no-daemon)', figure: fmtSeconds(t.probeMs), reference: '-' },
    { measure: 'mesh phase (submit to job end)', figure: fmtSeconds(f.meshMs), reference: '-' },
    { measure: 'final build from the mesh cache (ref: the build)', figure: fmtSeconds(t.finalMs), reference: fmtSeconds(ref.result.durationMs) },
    { measure: 'tasks from cache / actionable', figure: fin == null ? '-' : `${fin.fromCache}/${fin.total}`, reference: refTasks == null ? '-' : `${refTasks.fromCache}/${refTasks.total}` },
    { measure: 'unit time: critical path (ref: sum of all units)', figure: fmtSeconds(f.critical.ms), reference: fmtSeconds(f.serialMs), ratio: f.critical.ms / f.serialMs },
    { measure: 'scheduling overhead = mesh phase - critical path', figure: fmtSeconds(f.overheadMs), reference: '-' },
    { measure: 'scheduling overhead per unit', figure: perUnit(f.overheadMs), reference: '-' },
    { measure: 'worker setup on the critical path, per unit', figure: perUnit(f.critical.setupMs), reference: '-' }
  ]
  return renderTable(`${EXAMPLE}: gmesh build on ${NODES} loopback nodes (--slots 1) against plain Gradle on one node`, `${NODES} nodes`, 'one node', rows)
}

function notes (d: Distributed, ref: Reference, f: MeshFigures): string {
  return [
    `units (setup + Gradle run, worker): ${d.summary.job.units.map(u => u.result == null ? `${u.name} not run` : `${u.name} ${fmtSeconds(u.result.setupMs)} + ${fmtSeconds(u.result.durationMs)} ${shortId(u.result.worker)}`).join('; ')}`,
    `notes: critical path ${f.critical.units.join(' -> ')}; a unit's time is its worker setup (snapshot fetch, workspace) plus its Gradle run.`,
    '  Scheduling overhead is the mesh phase (the CLI\'s submit + wait, job end seen by its 250 ms poll) minus the critical path:',
    '  time when no critical-path unit was being set up or run (snapshot and submit, assignment, waiting for a slot, reporting).',
    `  Wall times are whole processes (gmesh build${d.flags.length > 0 ? ` ${d.flags.join(' ')}` : ''}: plan + mesh phase + final build; one node: gradle --no-daemon build, without --parallel,` +
    ` Gradle ${d.summary.plan.gradleVersion}). The one-node build ran after the nodes stopped. Reference exit ${ref.result.exitCode}.`,
    `  Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores; the ${NODES} nodes and their Gradle runs share these cores.`
  ].join('\n')
}

export async function run (options: BenchOptions = currentBenchOptions()): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gmesh-bench-distributed-build-'))
  const gradle = (await findGradleCommand(join(REPO_ROOT, EXAMPLE))).executable
  const daemons = new DaemonHomes(gradle, root)
  const abort = new AbortController()
  const removeCleanup = processes.addCleanup(async () => { abort.abort(); await daemons.stopAll() })
  try {
    console.log(`  ${EXAMPLE} (one build each${options.quick ? '; --quick changes nothing here' : ''}): gmesh build on ${NODES} nodes first, then plain Gradle`)
    const d = await distributed(root, daemons)
    console.log(`  ${NODES} nodes: ${fmtSeconds(d.wallMs)}, job ${d.summary.job.id} ${d.summary.job.state}`)
    const ref = await reference(root, gradle, daemons, abort.signal)
    console.log(`  one node: ${fmtSeconds(ref.wallMs)}`)
    const figures = meshFigures(d.summary)
    console.log(table(d, ref, figures))
    console.log(notes(d, ref, figures))
  } finally {
    removeCleanup()
    await daemons.stopAll()
    if (!options.keep) await rm(root, { recursive: true, force: true })
    else console.log(`kept ${root}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  stopChildrenOnSignal()
  await run({ ...currentBenchOptions(), keep: process.argv.includes('--keep') })
}
