// A warm clean build of examples/java-multi through a mesh peer: the entries are on node A, Gradle
// (empty user home, --no-daemon) talks to a fresh node B that fetches every hit from A; the reference
// is the same build right after, through the same B, which now holds the entries (a local hit).
// Runnable alone: node dist/bench/mesh-build.js [--quick]
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findGradleCommand } from '../src/gradle/gradle-command.js'
import type { GradleRunResult } from '../src/gradle/runner.js'
import { REPO_ROOT } from './lib/gmesh-node.js'
import { stopGradleDaemons } from './lib/gradle-daemon.js'
import { buildOnce, fromCacheText, remoteVariant, type BuildVariant } from './lib/gradle-variants.js'
import { median } from './lib/load.js'
import { peerAnswers, startMeshNode, storedEntries, waitForIndexed, waitForPeers, type MeshNode } from './lib/mesh-nodes.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { stopChildrenOnSignal } from './lib/mesh-standalone.js'
import { processes } from './lib/processes.js'
import { fmtSeconds, renderTable, type ResultRow } from './lib/table.js'

export const EXAMPLE = 'examples/java-multi'
export const PEER_BUILD_GOAL_RATIO = 1.2

export class MeshBuildError extends Error {
  override name = 'MeshBuildError'
}

interface Build { result: GradleRunResult, peerHits: number }
interface Round { peer: Build, local: Build }

/** A warm clean build in a fresh Gradle user home, without a daemon, with `node` as the only cache. */
class Builder {
  private homes = 0
  private readonly used: string[] = []
  constructor (private readonly root: string, private readonly projectDir: string, private readonly gradle: string, private readonly signal: AbortSignal) {}

  async build (name: string, node: MeshNode): Promise<Build> {
    const gradleUserHome = join(this.root, `gradle-home-${++this.homes}`)
    this.used.push(gradleUserHome)
    const variant: BuildVariant = { ...remoteVariant(name, node.info.cacheUrl), args: ['clean', 'build', '--no-daemon'] }
    const before = await peerAnswers(node)
    try {
      const result = await buildOnce({ projectDir: this.projectDir, gradleUserHome, gradle: this.gradle, signal: this.signal }, variant)
      return { result, peerHits: (await peerAnswers(node)).hits - before.hits }
    } finally {
      await this.stopDaemons(gradleUserHome)
    }
  }

  /** --no-daemon may still fork a single-use daemon: stop it (gradle --stop, then by pid). */
  async stopDaemons (gradleUserHome: string): Promise<void> {
    const killed = await stopGradleDaemons(this.gradle, gradleUserHome, this.projectDir)
    if (killed.length > 0) console.log(`  killed Gradle daemon(s) ${killed.join(', ')}`)
  }

  async stopAll (): Promise<void> {
    for (const home of this.used) await this.stopDaemons(home)
  }
}

/** One round: a fresh B joins A and learns its index; build through B (peer fetches), then again (local hits). */
async function round (root: string, index: number, a: MeshNode, entries: number, builder: Builder): Promise<Round> {
  const b = await startMeshNode(root, `b-${index}`, a.info)
  try {
    await waitForPeers(b, 1)
    await waitForIndexed(b, entries)
    const peer = await builder.build('through B, entries on A', b)
    const local = await builder.build('through B, entries on B', b)
    console.log(`  round ${index}: entries on A ${fmtSeconds(peer.result.durationMs)} (from cache ${fromCacheText(peer.result)}, ${peer.peerHits} peer fetches); ` +
      `on B ${fmtSeconds(local.result.durationMs)} (from cache ${fromCacheText(local.result)}, ${local.peerHits} peer fetches)`)
    return { peer, local }
  } finally {
    await b.node.stop()
  }
}

function table (rounds: Round[], entries: number): string {
  const peer = median(rounds.map(r => r.peer.result.durationMs))
  const local = median(rounds.map(r => r.local.result.durationMs))
  const last = rounds[rounds.length - 1]
  const rows: ResultRow[] = [
    { measure: 'warm clean build through B, entries on A (ref: entries on B)', figure: fmtSeconds(peer), reference: fmtSeconds(local), ratio: peer / local, goal: `<= ${PEER_BUILD_GOAL_RATIO}x`, met: peer / local <= PEER_BUILD_GOAL_RATIO },
    { measure: 'tasks from cache, last round', figure: fromCacheText(last.peer.result), reference: fromCacheText(last.local.result) },
    { measure: `entries fetched from A by B, last round (of ${entries} on A)`, figure: String(last.peer.peerHits), reference: String(last.local.peerHits) }
  ]
  return renderTable(`Warm clean build of ${EXAMPLE} through a mesh peer: median of ${rounds.length} (Gradle --no-daemon, empty user home each build)`, 'peer fetch', 'local hit', rows)
}

export async function run (options: BenchOptions = currentBenchOptions()): Promise<void> {
  const rounds = options.quick ? 2 : 5
  const root = await mkdtemp(join(tmpdir(), 'gmesh-bench-mesh-build-'))
  const projectDir = join(root, 'project')
  await cp(join(REPO_ROOT, EXAMPLE), projectDir, { recursive: true, filter: (src) => !/[/\\](build|\.gradle)$/.test(src) })
  const abort = new AbortController()
  const builder = new Builder(root, projectDir, (await findGradleCommand(projectDir)).executable, abort.signal)
  const removeCleanup = processes.addCleanup(async () => { abort.abort(); await builder.stopAll() })
  let a: MeshNode | undefined
  try {
    a = await startMeshNode(root, 'a')
    const seed = await builder.build('seed A', a)
    const entries = await storedEntries(a)
    if (entries === 0) throw new MeshBuildError(`the seed build stored nothing on A (from cache ${fromCacheText(seed.result)})`)
    console.log(`  seeded A with ${entries} entries in ${fmtSeconds(seed.result.durationMs)}`)
    const all: Round[] = []
    for (let i = 1; i <= rounds; i++) all.push(await round(root, i, a, entries, builder))
    console.log(table(all, entries))
    console.log(`notes: B is a fresh node per round, bootstrapped to A; builds start once B's index lists all ${entries} keys. ` +
      `Both builds of a round use the same B, the same project copy and a new empty GRADLE_USER_HOME, with Gradle's local cache off. ` +
      `Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores.`)
  } finally {
    removeCleanup()
    await builder.stopAll()
    await a?.node.stop()
    if (!options.keep) await rm(root, { recursive: true, force: true })
    else console.log(`kept ${root}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  stopChildrenOnSignal()
  await run({ ...currentBenchOptions(), quick: process.argv.includes('--quick'), keep: process.argv.includes('--keep') })
}
