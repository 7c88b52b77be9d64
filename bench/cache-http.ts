// Gradle HTTP build cache throughput and latency: the gmesh node against nginx serving the same files.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeEntries, putEntries, verifyServes, writeEntryFiles, type Entry } from './lib/cache-fixtures.js'
import { cpuSecondsOfTree } from './lib/cpu.js'
import { GmeshNode } from './lib/gmesh-node.js'
import type { LoadGenerator, LoadResult, LoadSpec } from './lib/load.js'
import { chooseLoadGenerator } from './lib/machine.js'
import { findNginx, NGINX_INSTALL_HINT, NginxServer } from './lib/nginx.js'
import { currentBenchOptions, type BenchOptions } from './lib/options.js'
import { PlainNodeServer } from './lib/plain-node-server.js'
import { processes } from './lib/processes.js'
import { cacheTable, chargeUnstored, unstoredPuts, type Figures, type Measured } from './lib/cache-report.js'

const KiB = 1024
const MiB = 1024 * KiB

/** Sizes, counts and durations of one run; --quick shortens the durations. */
export function cachePlan (quick: boolean) {
  return {
    small: { count: 256, size: 5 * KiB, connections: 16, seconds: quick ? 3 : 10 },
    large: { count: quick ? 4 : 8, size: 10 * MiB, connections: 4, seconds: quick ? 3 : 10 },
    put: { size: 5 * KiB, connections: 16, seconds: quick ? 2 : 5 },
    warmupSeconds: 1
  }
}
type Plan = ReturnType<typeof cachePlan>

/** A server under measurement: the node or an nginx. */
interface Target {
  label: string
  cacheUrl: string
  pid: number | undefined
  figures: Figures
}

async function measure (gen: LoadGenerator, target: Target, spec: LoadSpec): Promise<Measured> {
  const cpuBefore = target.pid != null ? await cpuSecondsOfTree(target.pid) : 0
  const result: LoadResult = await gen.run(spec)
  const cpuAfter = target.pid != null ? await cpuSecondsOfTree(target.pid) : 0
  return { result, cpuCores: target.pid != null && result.seconds > 0 ? (cpuAfter - cpuBefore) / result.seconds : undefined }
}

function specs (plan: Plan, target: Target, small: Entry[], large: Entry[]) {
  const common = { cacheUrl: target.cacheUrl }
  return {
    warmup: { ...common, kind: 'get', keys: small.map((e) => e.key), connections: plan.small.connections, durationMs: plan.warmupSeconds * 1000, maxRequests: 500_000 },
    small: { ...common, kind: 'get', keys: small.map((e) => e.key), connections: plan.small.connections, durationMs: plan.small.seconds * 1000, maxRequests: plan.small.seconds * 200_000 },
    large: { ...common, kind: 'get', keys: large.map((e) => e.key), connections: plan.large.connections, durationMs: plan.large.seconds * 1000, maxRequests: plan.large.seconds * 2_000 },
    put: { ...common, kind: 'put', keyPrefix: randomBytes(12).toString('hex'), bodySize: plan.put.size, connections: plan.put.connections, durationMs: plan.put.seconds * 1000, maxRequests: plan.put.seconds * 100_000 }
  } satisfies Record<string, LoadSpec>
}

/** Each scenario runs on every target before the next scenario, so drift on the machine hits all sides alike. */
async function measureAll (gen: LoadGenerator, plan: Plan, targets: Target[], small: Entry[], large: Entry[]): Promise<void> {
  for (const t of targets) await gen.run(specs(plan, t, small, large).warmup)
  for (const scenario of ['small', 'large', 'put'] as const) {
    for (const t of targets) {
      const measured = await measure(gen, t, specs(plan, t, small, large)[scenario])
      t.figures[scenario] = measured
      const r = measured.result
      console.log(`  ${scenario.padEnd(5)} ${t.label.padEnd(22)} ${r.ok} ok, ${r.errors} errors in ${r.seconds.toFixed(1)} s`)
    }
  }
}

async function startNode (root: string, small: Entry[], large: Entry[]): Promise<{ node: GmeshNode, target: Target } | string> {
  const node = new GmeshNode(join(root, 'node'), (process.env.GMESH_BENCH_NODE_ARGS ?? '').split(' ').filter(arg => arg !== ''))
  try {
    const info = await node.start()
    await putEntries(info.cacheUrl, [...small, ...large])
    await verifyServes('gmesh node', info.cacheUrl, small[0])
    return { node, target: { label: 'gmesh node', cacheUrl: info.cacheUrl, pid: node.pid, figures: {} } }
  } catch (err) {
    await node.stop()
    return `gmesh node unavailable: ${(err as Error).message}`
  }
}

async function startNginx (root: string, workers: 1 | 'auto', small: Entry[]): Promise<{ nginx: NginxServer, target: Target }> {
  const nginx = new NginxServer({ dir: join(root, `nginx-${workers}`), root: join(root, 'files'), workers })
  await nginx.start()
  await verifyServes(nginx.label, nginx.cacheUrl, small[0])
  return { nginx, target: { label: nginx.label, cacheUrl: nginx.cacheUrl, pid: nginx.pid, figures: {} } }
}

/** Node's own http module on the same files: how much of the gap to nginx is the platform's, not the node's. */
async function startPlainNode (root: string, small: Entry[]): Promise<{ server: PlainNodeServer, target: Target }> {
  const server = new PlainNodeServer(join(root, 'files'))
  await server.start()
  await verifyServes(server.label, server.cacheUrl, small[0])
  return { server, target: { label: server.label, cacheUrl: server.cacheUrl, pid: server.pid, figures: {} } }
}

/**
 * The node's own view (gmesh status --json) next to what the load generator counted, as a cross-check. PUTs the
 * generator counted ok but the node did not store (a 202) are moved to the node's PUT errors.
 */
async function nodeCounters (node: GmeshNode, figures: Figures, preloaded: number): Promise<string> {
  const status = await node.status() as { http?: Record<string, number>, cache?: Record<string, number> } | undefined
  if (status?.http == null) return 'gmesh status --json: no http counters'
  const h = status.http
  const counted = (figures.small?.result.ok ?? 0) + (figures.large?.result.ok ?? 0)
  const unstored = unstoredPuts(h.stored, preloaded, figures.put)
  if (figures.put != null && unstored > 0) figures.put = chargeUnstored(figures.put, unstored)
  const line = `gmesh status --json: ${h.gets} GETs, ${h.hits} hits, ${h.puts} PUTs, ${h.stored} stored, ${h.internalErrors} internal errors; ` +
    `cache ${status.cache?.entries ?? '?'} entries (the load generator counted ${counted} GET hits and ${preloaded} + ${figures.put?.result.ok ?? 0} ok PUTs)`
  const problems: string[] = []
  if (h.hits < counted) problems.push('fewer hits than the load generator counted')
  if (h.internalErrors > 0) problems.push('internal errors')
  if (unstored > 0) problems.push(`${unstored} PUTs answered below 400 but not stored (counted as errors in the tables)`)
  if (problems.length === 0) return line
  const logs = node.problems.length > 0 ? `\nthe node's last warnings and errors:\n  ${node.problems.join('\n  ')}` : ''
  return `${line}\nWARNING: the node reports ${problems.join('; ')}${logs}`
}

export async function run (options: BenchOptions = currentBenchOptions()): Promise<void> {
  const plan = cachePlan(options.quick)
  const gen = chooseLoadGenerator(options)
  const root = await mkdtemp(join(tmpdir(), 'gmesh-bench-cache-'))
  const stops: Array<() => Promise<void>> = []
  try {
    const small = makeEntries(plan.small.count, plan.small.size)
    const large = makeEntries(plan.large.count, plan.large.size)
    await writeEntryFiles(join(root, 'files'), [...small, ...large])
    const targets: Target[] = []
    const started = await startNode(root, small, large)
    if (typeof started === 'string') console.log(started)
    else { stops.push(async () => { await started.node.stop() }); targets.push(started.target) }
    const references: Target[] = []
    if (findNginx() == null) console.log(`nginx is not installed: the reference is skipped (${NGINX_INSTALL_HINT})`)
    else {
      for (const workers of options.nginxAuto ? [1, 'auto'] as const : [1] as const) {
        const { nginx, target } = await startNginx(root, workers, small)
        stops.push(async () => { await nginx.stop() })
        references.push(target)
      }
    }
    const plainNode = await startPlainNode(root, small)
    stops.push(async () => { await plainNode.server.stop() })
    references.push(plainNode.target)
    console.log(`load generator: ${gen.name}; measuring ${[...targets, ...references].map((t) => t.label).join(', ')}`)
    await measureAll(gen, plan, [...targets, ...references], small, large)
    if (typeof started !== 'string') console.log(await nodeCounters(started.node, started.target.figures, small.length + large.length))
    const node = targets[0]?.figures
    const nginxRefs = references.filter(ref => ref !== plainNode.target)
    for (const ref of nginxRefs.length > 0 ? nginxRefs : [undefined]) {
      console.log(cacheTable(plan, node, ref?.figures, ref?.label ?? 'nginx (skipped)'))
    }
    console.log(cacheTable(plan, node, plainNode.target.figures, plainNode.target.label, false))
    console.log(`notes: the load generator (${gen.name}) shares the machine's cores with the servers; ` +
      'nginx runs worker_processes 1 to compare with the single-threaded node (--nginx-auto adds one worker per core); ' +
      'CPU = cores the server process tree kept busy during the measurement. ' +
      `${plainNode.target.label} is Node's http module reading the same files per GET (no verification, no index) and writing PUTs to a temp file, fdatasync, rename: ` +
      'the ceiling of a single-threaded Node server on this machine, and the like-for-like PUT reference: the node fsyncs every blob ' +
      '(GMESH_BENCH_NODE_ARGS=--no-fsync turns that off), nginx\'s WebDAV PUT writes a temp file and renames it without any fsync, ' +
      'so its PUT rate is not durable storage. wrk counts any answer below 400 as ok, the Node load generator only 2xx answers; the node\'s stored counter is checked against them.' +
      (gen.name.startsWith('node') ? '\nThe Node load generator saturates long before nginx does: figures near its ceiling are its limit, not the server\'s (apt-get install wrk).' : ''))
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    await processes.stopAll()
    if (!options.keep) await rm(root, { recursive: true, force: true })
    else console.log(`kept ${root}`)
  }
}
