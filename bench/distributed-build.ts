// A test-heavy build (examples/java-tests-io, JUnit tests that wait on I/O) spread by `gmesh build` over
// 3 loopback nodes (--accept-builds --slots 1, one --swarm-key), against the same build by plain Gradle on one node, in
// the same run, in two rounds. Plain Gradle runs twice per round, `gradle build` and `gradle --parallel build`, each on
// its own copy: the 3 nodes share this machine's cores, so much of their gain is overlapping the tests' waits, which
// --parallel gets on one node too. The headline speedup is against the faster of the two.
// - cold: a fresh copy of the project, empty Gradle user homes; `gmesh build --no-daemon` against
//   `gradle --no-daemon [--parallel] build`. The first unit on each node pays for starting its Gradle daemon.
// - warm (steady state, what always-on nodes see): the same nodes, still running, build the copy again after
//   one main class of every module changed (bench/lib/project-change.ts); the CLI's final build and the
//   one-node build use a daemon warmed by an untimed up-to-date build of the unchanged copy.
// Order: both mesh rounds, nodes stopped, then both one-node rounds without --parallel, then both with it, so a
// reference never shares the cores with the nodes, and any warm-page-cache advantage goes to the references.
// The figures (speedup, critical path, scheduling overhead per unit) are defined in bench/lib/build-overhead.ts.
// Runnable alone: node dist/bench/distributed-build.js [--keep]
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { NodeClient } from '../src/client/node-client.js'
import { findGradleCommand } from '../src/gradle/gradle-command.js'
import { runGradle } from '../src/gradle/runner.js'
import { meshFigures, parseBuildSummary } from './lib/build-overhead.js'
import { roundTable, sideBySide, unitTimings, type Distributed, type Reference, type Round } from './lib/distributed-report.js'
import { GMESH_BIN, GmeshNode, REPO_ROOT, type NodeInfo } from './lib/gmesh-node.js'
import { daemonPids, stopGradleDaemons } from './lib/gradle-daemon.js'
import { bootstrapAddress } from './lib/mesh-cache.js'
import { waitForPeers, type MeshNode } from './lib/mesh-nodes.js'
import { stopChildrenOnSignal } from './lib/mesh-standalone.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { changeEveryModule, type ChangedSource } from './lib/project-change.js'
import { processes, runCommand } from './lib/processes.js'
import { fmtSeconds } from './lib/table.js'
import { writeSwarmKeyFile } from '../node/libp2p/swarm-key.js'

export const EXAMPLE = 'examples/java-tests-io'
export const NODES = 3
const BUILD_TIMEOUT_MS = 15 * 60_000
const REVISION_NOTE = 'one main class per module got a new static final String constant'

export class DistributedBuildError extends Error {
  override name = 'DistributedBuildError'
}

type BuildNode = MeshNode & { dataDir: string }

/** What a warm round's daemon did: reused the warm-up's (no new daemon in its user home) or started one. */
interface Warmth { warmUpMs: number, newDaemons: number[] }
interface Side<T> { cold: T, warm: T, warmth: Warmth, changed: ChangedSource[] }

/** How a one-node reference runs Gradle: plain `gradle build` or `gradle --parallel build`. */
interface OneNode { parallel: boolean }
const ONE_NODE_VARIANTS: readonly OneNode[] = [{ parallel: false }, { parallel: true }]
const variantLabel = (v: OneNode): string => v.parallel ? 'one node, --parallel' : 'one node'

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

/**
 * A loopback `gmesh up --accept-builds --slots 1` in `root/name` with the mesh's swarm key (a node accepts builds
 * only in a private mesh or from listed submitters), joining `seed` when given.
 */
async function startBuildNode (root: string, name: string, swarmKey: string, seed?: NodeInfo): Promise<BuildNode> {
  const args = ['--log-level', 'warn', '--accept-builds', '--slots', '1', '--swarm-key', swarmKey]
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

/** `--no-daemon` when this build of `gmesh build` has it, so the cold final build runs like the one-node build. */
async function noDaemonFlag (): Promise<string[]> {
  const help = await runCommand('gmesh build --help', process.execPath, [GMESH_BIN, 'build', '--help'], { cwd: REPO_ROOT, timeoutMs: 30_000 })
  return help.stdout.includes('--no-daemon') ? ['--no-daemon'] : []
}

/** `gmesh build --json [flags] -- build` of `project` through `node`, the final build in `gradleUserHome`. */
async function gmeshBuild (node: BuildNode, project: string, gradleUserHome: string, flags: string[]): Promise<Distributed> {
  const res = await runCommand('gmesh build', process.execPath,
    [GMESH_BIN, 'build', '--data', node.dataDir, '--project', project, '--json', ...flags, '--', 'build'],
    { cwd: REPO_ROOT, env: { ...process.env, GRADLE_USER_HOME: gradleUserHome }, timeoutMs: BUILD_TIMEOUT_MS })
  if (res.code !== 0) {
    let why = ''
    try { why = parseBuildSummary(res.stdout).job.state } catch { /* no summary: the stderr tail says why */ }
    throw new DistributedBuildError(`gmesh build exited ${res.code}${why === '' ? '' : ` (job ${why})`}\n${res.stderr.slice(-3000)}`)
  }
  return { wallMs: res.ms, summary: parseBuildSummary(res.stdout), flags }
}

/** `gradle [--parallel] build` of projectDir in gradleUserHome, no build cache; with the daemon unless noDaemon. */
async function gradleBuild (gradle: string, projectDir: string, gradleUserHome: string, how: OneNode & { noDaemon: boolean }, signal: AbortSignal): Promise<Reference> {
  let tail = ''
  const out = new Writable({ write (chunk, _enc, done) { tail = (tail + (chunk as Buffer).toString()).slice(-3000); done() } })
  const started = performance.now()
  const args = how.parallel ? ['--parallel', 'build'] : ['build']
  const result = await runGradle({ projectDir, args, gradleUserHome, gradleExecutable: gradle, noDaemon: how.noDaemon, buildCache: false, signal, stdout: out, stderr: out })
  if (result.exitCode !== 0) throw new DistributedBuildError(`gradle ${args.join(' ')} in ${projectDir} exited ${result.exitCode}\n${tail}`)
  return { wallMs: performance.now() - started, result }
}

/** Warms a daemon with an up-to-date build of the unchanged copy, changes every module, then runs `warm`. */
async function warmRound<T> (gradle: string, projectDir: string, home: string, signal: AbortSignal, warm: () => Promise<T>): Promise<{ warm: T, warmth: Warmth, changed: ChangedSource[] }> {
  const warmUpMs = (await gradleBuild(gradle, projectDir, home, { parallel: false, noDaemon: false }, signal)).wallMs
  const before = await daemonPids(home)
  const changed = await changeEveryModule(projectDir)
  const result = await warm()
  const newDaemons = (await daemonPids(home)).filter(pid => !before.includes(pid))
  return { warm: result, warmth: { warmUpMs, newDaemons }, changed }
}

/** 3 fresh nodes that see each other build the fresh copy, then the changed copy; the nodes stopped after. */
async function meshRounds (root: string, gradle: string, daemons: DaemonHomes, signal: AbortSignal): Promise<Side<Distributed>> {
  const nodes: BuildNode[] = []
  try {
    const swarmKey = join(root, 'swarm.key')
    await writeSwarmKeyFile(swarmKey)
    nodes.push(await startBuildNode(root, 'node-1', swarmKey))
    for (let i = 2; i <= NODES; i++) nodes.push(await startBuildNode(root, `node-${i}`, swarmKey, nodes[0].info))
    for (const n of nodes) {
      daemons.add(join(n.dataDir, 'builds', 'gradle-home'))
      await waitForPeers(n, NODES - 1)
    }
    const project = await copyExample(root, 'project-mesh')
    const home = daemons.add(join(root, 'gradle-home-mesh'))
    const cold = await gmeshBuild(nodes[0], project, home, await noDaemonFlag())
    console.log(`  cold, ${NODES} nodes: ${fmtSeconds(cold.wallMs)}, job ${cold.summary.job.id} ${cold.summary.job.state}`)
    const rest = await warmRound(gradle, project, home, signal, async () => await gmeshBuild(nodes[0], project, home, []))
    console.log(`  warm, ${NODES} nodes: ${fmtSeconds(rest.warm.wallMs)}, job ${rest.warm.summary.job.id} ${rest.warm.summary.job.state}`)
    return { cold, ...rest }
  } finally {
    await daemons.stopAll()
    for (const n of nodes) {
      if (n.node.problems.length > 0) console.log(`  ${n.dataDir.slice(root.length + 1)} logged ${n.node.problems.length} warning(s); last: ${n.node.problems[n.node.problems.length - 1].slice(0, 300)}`)
      await n.node.stop()
    }
  }
}

/** One variant's one-node builds: `gradle --no-daemon build` of a fresh copy, then the changed copy with a warm daemon. */
async function referenceRounds (root: string, gradle: string, daemons: DaemonHomes, v: OneNode, signal: AbortSignal): Promise<Side<Reference>> {
  const name = v.parallel ? 'one-parallel' : 'one'
  const projectDir = await copyExample(root, `project-${name}`)
  const home = daemons.add(join(root, `gradle-home-${name}`))
  try {
    const cold = await gradleBuild(gradle, projectDir, home, { ...v, noDaemon: true }, signal)
    console.log(`  cold, ${variantLabel(v)}: ${fmtSeconds(cold.wallMs)}`)
    const rest = await warmRound(gradle, projectDir, home, signal, async () => await gradleBuild(gradle, projectDir, home, { ...v, noDaemon: false }, signal))
    console.log(`  warm, ${variantLabel(v)}: ${fmtSeconds(rest.warm.wallMs)}`)
    return { cold, ...rest }
  } finally {
    await daemons.stopAll()
  }
}

function warmthNote (who: string, w: Warmth): string {
  return `${who}: warm-up ${fmtSeconds(w.warmUpMs)}, ` +
    (w.newDaemons.length === 0 ? 'warm round reused that daemon' : `warm round STARTED daemon(s) ${w.newDaemons.join(', ')} (not warm)`)
}

type References = Array<{ v: OneNode, side: Side<Reference> }>

function notes (mesh: Side<Distributed>, refs: References, rounds: Round[]): string {
  const changed = mesh.changed.map(c => `${c.file}@${c.revision}`).join(', ')
  return [
    sideBySide(rounds),
    ...rounds.map(unitTimings),
    `notes: critical path cold ${rounds[0].f.critical.units.join(' -> ')}, warm ${rounds[1].f.critical.units.join(' -> ')};` +
    ' a unit\'s time is its worker setup (snapshot fetch, workspace) plus its Gradle run.',
    '  Scheduling overhead is the mesh phase (the CLI\'s submit + wait, job end seen by its 250 ms poll) minus the critical path:',
    '  time when no critical-path unit was being set up or run (snapshot and submit, assignment, waiting for a slot, reporting).',
    `  Wall times are whole processes (gmesh build: plan + mesh phase + final build; one node: gradle build and gradle --parallel build, Gradle ${mesh.cold.summary.plan.gradleVersion}).`,
    '  The headline speedup is against the faster one-node build: the nodes share this machine\'s cores, so overlapping the tests\' waits,',
    '  which --parallel (independent modules at once, up to one worker per core) gets on one node too, is not credited to the mesh.',
    `  Cold: gmesh build ${mesh.cold.flags.join(' ')} and gradle --no-daemon [--parallel] build, fresh copies, empty Gradle user homes; each node's unit daemons start with its first unit.`,
    `  Warm: after the cold round, ${REVISION_NOTE} (${changed}), identically in every copy; gmesh build (daemon) through the same running nodes,`,
    '  whose unit daemons ran the cold units; gradle [--parallel] build (daemon) for one node. The CLI\'s final build and each one-node build use a daemon',
    '  in their own Gradle user home warmed by an untimed up-to-date `gradle build` of the unchanged copy:',
    `  ${[warmthNote('mesh final build', mesh.warmth), ...refs.map(r => warmthNote(variantLabel(r.v), r.side.warmth))].join('; ')}.`,
    '  The task-graph probe runs with gmesh build\'s daemon choice (cold: --no-daemon, warm: the warm daemon).',
    '  Order: cold mesh, warm-up, warm mesh, nodes and their daemons stopped; then for each one-node build (without, then with --parallel)',
    '  cold, warm-up, warm, its daemon stopped: the one-node builds never shared the cores with the nodes or with each other.',
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
    console.log(`  ${EXAMPLE} (a cold and a warm round${options.quick ? '; --quick changes nothing here' : ''}): gmesh build on ${NODES} nodes first, then plain Gradle, without and with --parallel`)
    const mesh = await meshRounds(root, gradle, daemons, abort.signal)
    const refs: References = []
    for (const v of ONE_NODE_VARIANTS) refs.push({ v, side: await referenceRounds(root, gradle, daemons, v, abort.signal) })
    if (refs.some(r => JSON.stringify(mesh.changed) !== JSON.stringify(r.side.changed))) throw new DistributedBuildError('the copies were changed differently')
    const rounds: Round[] = [
      { name: 'cold', d: mesh.cold, refs: refs.map(r => ({ label: `${variantLabel(r.v)}, --no-daemon`, ref: r.side.cold })), f: meshFigures(mesh.cold.summary) },
      { name: 'warm', d: mesh.warm, refs: refs.map(r => ({ label: `${variantLabel(r.v)}, warm daemon`, ref: r.side.warm })), f: meshFigures(mesh.warm.summary) }
    ]
    const title = `${EXAMPLE}: gmesh build on ${NODES} loopback nodes (--slots 1) against the fastest plain Gradle on one node`
    for (const round of rounds) console.log(roundTable(round, title, NODES))
    console.log(notes(mesh, refs, rounds))
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
