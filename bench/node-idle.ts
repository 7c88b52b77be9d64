// An idle gmesh node: time from spawn to its ready file, and its memory after it has settled,
// each beside a bare Node process doing nothing (the floor any node pays); then meshes of 3 and of 11 nodes
// joined on loopback and left idle: each one's memory and share of a core, and the membership heartbeats
// each node hears per second at that size (what the gossip at idle is made of), counted by each node (the
// `membership` counters of its status) over the CPU window, beside the rate its configuration aims at.
// Runnable alone: node dist/bench/node-idle.js [--quick] [--mesh] (--mesh: the two meshes only, for A/B runs)
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { spawnNode, type NodeProcess } from '../src/client/node-process.js'
import { NodeClient } from '../src/client/node-client.js'
import type { MembershipStats } from '../src/client/api-types.js'
import { median } from './lib/load.js'
import { DEFAULT_MEMBERSHIP_CONFIG, heartbeatIntervalMs } from '../protocols/membership/config.js'
import { processes, type TrackedProcess } from './lib/processes.js'
import { fmtMs, fmtNumber, renderTable, type ResultRow } from './lib/table.js'

const MiB = 1024 * 1024

/** Resident memory of a process from /proc (bytes). */
async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024
}

/** CPU time a process has used so far, ms (utime + stime from /proc, in clock ticks of 10 ms). */
async function cpuMsOf (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** A bare `node` (this Node) that only waits, started and ready: it has written its first output. Tracked, so SIGINT stops it. */
async function startBareNode (): Promise<TrackedProcess> {
  const proc = processes.spawn('bare node', process.execPath, ['-e', 'process.stdout.write("ready\\n"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    await once(proc.child.stdout!, 'data')
    return proc
  } catch (err) {
    await processes.stop(proc)
    throw err
  }
}

/** A bare `node`: its start time (to its first output), CPU time to then, and its memory once settled. */
async function bareNode (settleMs: number): Promise<{ startMs: number, rss: number, cpuMs: number }> {
  const started = performance.now()
  const proc = await startBareNode()
  try {
    const startMs = performance.now() - started
    const cpuMs = await cpuMsOf(proc.pid)
    await sleep(settleMs)
    return { startMs, rss: await rssOf(proc.pid), cpuMs }
  } finally {
    await processes.stop(proc)
  }
}

/**
 * The nodes and data directories of one measurement: gone at its end, or when run.ts stops everything on SIGINT
 * (the registered cleanup stops the nodes, then removes their directories; the nodes are listed as its children).
 */
class IdleNodes {
  readonly nodes: NodeProcess[] = []
  private dirs: string[] = []
  private closed = false
  private readonly removeCleanup = processes.addCleanup(async () => { await this.close() })

  async dataDir (prefix: string): Promise<string> {
    this.checkOpen()
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  /** A node that became ready after close() (it was starting on SIGINT) is stopped at once. */
  async start (dataDir: string, args: string[] = []): Promise<NodeProcess> {
    this.checkOpen()
    const node = await spawnNode({ dataDir, args })
    processes.adopt('gmesh up', node.child)
    this.nodes.push(node)
    this.checkOpen()
    return node
  }

  private checkOpen (): void {
    if (this.closed) throw new Error('interrupted: the idle nodes were stopped')
  }

  /** Stops the nodes, then removes the directories; again in the measurement's finally for what came after. */
  async close (): Promise<void> {
    this.closed = true
    this.removeCleanup()
    const nodes = this.nodes.splice(0)
    const dirs = this.dirs.splice(0)
    await Promise.all(nodes.map(async n => await n.stop()))
    await Promise.all(dirs.map(async dir => { await rm(dir, { recursive: true, force: true }) }))
  }
}

/** One fresh node: spawn to ready file (what spawnNode waits for), then memory once idle. */
async function gmeshNode (settleMs: number): Promise<{ startMs: number, rss: number, apiRss: number, cpuMs: number }> {
  const session = new IdleNodes()
  try {
    const dataDir = await session.dataDir('gmesh-idle-')
    const started = performance.now()
    const node = await session.start(dataDir)
    const startMs = performance.now() - started
    const cpuMs = await cpuMsOf(node.info.pid)
    await sleep(settleMs)
    const rss = await rssOf(node.info.pid)
    const apiRss = (await (await NodeClient.connect(dataDir)).node()).rssBytes
    return { startMs, rss, apiRss, cpuMs }
  } finally {
    await session.close()
  }
}

/** Membership messages a node took per second over a window, from its own counters. */
interface HeardRates { heartbeats: number, gossip: number, frames: number }

interface IdleMeshFigures {
  size: number, rss: number, cpuShare: number, maxCpuShare: number, bareCpuShare: number, windowMs: number, peers: number
  /** Medians over the nodes of what each took per second; the fewest heartbeats any node heard per second. */
  heard: HeardRates, minHeartbeats: number
}

class NoMembershipStatsError extends Error {
  override name = 'NoMembershipStatsError'
}

/** A node's membership counters (its status) and when they were read. */
async function membershipStats (client: NodeClient): Promise<{ at: number, stats: MembershipStats }> {
  const stats = (await client.status(AbortSignal.timeout(10_000))).membership as MembershipStats | undefined
  if (stats == null) throw new NoMembershipStatsError('the node\'s status has no membership counters (a gmesh up without them?)')
  return { at: performance.now(), stats }
}

/** Per second between two reads of the same node's counters. */
function heardRates (before: { at: number, stats: MembershipStats }, after: { at: number, stats: MembershipStats }): HeardRates {
  const per = (k: keyof HeardRates): number => (after.stats[k] - before.stats[k]) * 1000 / (after.at - before.at)
  return { heartbeats: per('heartbeats'), gossip: per('gossip'), frames: per('frames') }
}

/**
 * `size` nodes joined on loopback, left idle: each one's memory and CPU share over `windowMs` once the mesh has
 * settled (membership probes and heartbeats, gossipsub and DHT upkeep). Medians of the nodes (and the busiest one's
 * share). `bareCpuShare`: a bare `node` started beside them, its CPU share read over the same window (the reference).
 */
async function idleMesh (size: number, settleMs: number, windowMs: number): Promise<IdleMeshFigures> {
  const session = new IdleNodes()
  let bare: TrackedProcess | undefined
  try {
    const dirs: string[] = []
    for (let i = 0; i < size; i++) {
      dirs.push(await session.dataDir('gmesh-idle-mesh-'))
      const first = session.nodes[0]
      await session.start(dirs[i]!, first == null ? [] : ['--bootstrap', first.info.multiaddrs[0]!])
    }
    bare = await startBareNode()
    const pids = [...session.nodes.map(n => n.info.pid), bare.pid]
    const clients = await Promise.all(dirs.map(async dir => await NodeClient.connect(dir)))
    await sleep(settleMs)
    // the counters are read just outside the CPU window, so reading them costs the nodes nothing inside it
    const heardBefore = await Promise.all(clients.map(membershipStats))
    const started = performance.now()
    const before = await Promise.all(pids.map(cpuMsOf))
    await sleep(windowMs)
    const after = await Promise.all(pids.map(cpuMsOf))
    const elapsedMs = performance.now() - started // the window as it ran: on a busy machine the sleep overshoots
    const heardAfter = await Promise.all(clients.map(membershipStats))
    const rates = heardBefore.map((b, i) => heardRates(b, heardAfter[i]!))
    const heard = { heartbeats: median(rates.map(r => r.heartbeats)), gossip: median(rates.map(r => r.gossip)), frames: median(rates.map(r => r.frames)) }
    const shares = after.map((ms, i) => (ms - before[i]!) / elapsedMs)
    const rss = await Promise.all(session.nodes.map(async n => await rssOf(n.info.pid)))
    const peers = (await clients[0]!.peers()).length
    const nodeShares = shares.slice(0, -1)
    return {
      size, rss: median(rss), cpuShare: median(nodeShares), maxCpuShare: Math.max(...nodeShares), bareCpuShare: shares.at(-1)!, windowMs: elapsedMs, peers,
      heard, minHeartbeats: Math.min(...rates.map(r => r.heartbeats))
    }
  } finally {
    if (bare != null) await processes.stop(bare)
    await session.close()
  }
}

/** The rows of one idle mesh: its memory and its CPU share beside the bare node's over the same window. */
function meshRows (mesh: IdleMeshFigures, bareRss: number | undefined): ResultRow[] {
  // what the configuration aims at: each of the n - 1 others beats once per heartbeatIntervalMs(n) on average
  const configuredPerSec = (mesh.size - 1) * 1000 / heartbeatIntervalMs(DEFAULT_MEMBERSHIP_CONFIG, mesh.size)
  return [
    { measure: `resident memory, idle in a ${mesh.size}-node mesh`, figure: `${fmtNumber(mesh.rss / MiB, 1)} MiB`, reference: bareRss == null ? '-' : `${fmtNumber(bareRss / MiB, 1)} MiB`, ratio: bareRss == null ? undefined : mesh.rss / bareRss, goal: '< 150 MiB', met: mesh.rss < 150 * MiB },
    { measure: `CPU, idle in a ${mesh.size}-node mesh (one core; ref: bare node, same window)`, figure: `${fmtNumber(mesh.cpuShare * 100, 1)}%`, reference: `${fmtNumber(mesh.bareCpuShare * 100, 1)}%`, ratio: mesh.bareCpuShare > 0 ? mesh.cpuShare / mesh.bareCpuShare : undefined },
    { measure: `CPU, busiest node of the ${mesh.size}-node mesh`, figure: `${fmtNumber(mesh.maxCpuShare * 100, 1)}%`, reference: '-' },
    { measure: `membership heartbeats heard per second, median node (${mesh.size} nodes; ref: configured)`, figure: fmtNumber(mesh.heard.heartbeats, 1), reference: fmtNumber(configuredPerSec, 1), ratio: mesh.heard.heartbeats / configuredPerSec },
    { measure: `membership gossip and direct frames taken per second (${mesh.size} nodes)`, figure: `${fmtNumber(mesh.heard.gossip, 1)} + ${fmtNumber(mesh.heard.frames, 1)}`, reference: '-' }
  ]
}

function meshNotes (meshes: IdleMeshFigures[]): string {
  return meshes.map(m => `the ${m.size}-node mesh's first node saw ${m.peers} peers; its CPU window ran ${fmtMs(m.windowMs)}, ` +
    `the node that heard fewest heartbeats heard ${fmtNumber(m.minHeartbeats, 1)}/s`).join('; ') +
    '; heartbeats heard are counted by each node (its status\'s membership counters, a member\'s own alive record in gossip, ' +
    'replays not counted), read just before and after the CPU window; the reference is the rate heartbeatIntervalMs aims at, (n - 1) / interval(n)'
}

/** The two idle meshes, 3 and 11 nodes, one after the other (never at once: they would share the cores). */
async function idleMeshes (quick: boolean): Promise<IdleMeshFigures[]> {
  const settleMs = quick ? 5000 : 10_000
  const windowMs = quick ? 5000 : 20_000
  return [await idleMesh(3, settleMs, windowMs), await idleMesh(11, settleMs, windowMs)]
}

export async function run (options: { quick?: boolean } = {}): Promise<void> {
  const runs = options.quick === true ? 2 : 5
  const settleMs = options.quick === true ? 2000 : 5000
  const nodes = []
  const bare = []
  for (let i = 0; i < runs; i++) {
    bare.push(await bareNode(settleMs))
    nodes.push(await gmeshNode(settleMs))
  }
  const meshes = await idleMeshes(options.quick === true)
  const startMs = median(nodes.map(n => n.startMs))
  const rss = median(nodes.map(n => n.rss))
  const bareStart = median(bare.map(b => b.startMs))
  const bareRss = median(bare.map(b => b.rss))
  console.log(renderTable(`idle gmesh node: median of ${runs} fresh nodes, memory after ${settleMs / 1000} s idle`, 'gmesh up', 'bare node', [
    { measure: 'start: spawn to ready file', figure: fmtMs(startMs), reference: fmtMs(bareStart), ratio: startMs / bareStart, goal: '< 1 s', met: startMs < 1000 },
    { measure: 'start: CPU time used to ready', figure: fmtMs(median(nodes.map(n => n.cpuMs))), reference: fmtMs(median(bare.map(b => b.cpuMs))) },
    { measure: 'resident memory (VmRSS)', figure: `${fmtNumber(rss / MiB, 1)} MiB`, reference: `${fmtNumber(bareRss / MiB, 1)} MiB`, ratio: rss / bareRss, goal: '< 150 MiB', met: rss < 150 * MiB },
    { measure: 'resident memory (its own /api/v1/node)', figure: `${fmtNumber(median(nodes.map(n => n.apiRss)) / MiB, 1)} MiB`, reference: '-' },
    ...meshes.flatMap(mesh => meshRows(mesh, bareRss))
  ]))
  console.log(`notes: each start is a new process in a new data dir (identity key, token and LevelDB created); starts: ${nodes.map(n => fmtMs(n.startMs)).join(', ')}; ` +
    `${meshNotes(meshes)}; CPU shares are /proc utime+stime (10 ms ticks) over the same window for a mesh's nodes and the bare node; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores (on a busy machine wall time exceeds CPU time: compare the CPU row).`)
}

/** The idle meshes alone (3 and 11 nodes): quicker, for comparing two builds in alternation. */
export async function runMeshes (options: { quick?: boolean } = {}): Promise<void> {
  const loadBefore = loadavg()[0]
  const meshes = await idleMeshes(options.quick === true)
  console.log(renderTable('idle gmesh meshes on loopback', 'gmesh up', 'bare node', meshes.flatMap(mesh => meshRows(mesh, undefined))))
  console.log(`notes: ${meshNotes(meshes)}; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after, on ${availableParallelism()} cores.`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--mesh')) await runMeshes({ quick: process.argv.includes('--quick') })
  else await run({ quick: process.argv.includes('--quick') })
}
