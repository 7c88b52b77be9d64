// Simulator benchmark: wall time and events/s of the steady scenario at 100, 1,000 and 5,000 nodes,
// membership convergence after a partition heals (p50 and p99 over seeds, named the max below 100 seeds) and gossip traffic per node.
// Part of `npm run bench`; runnable alone: `npx tsc -p . && node dist/bench/sim.js [--quick]`.
import { fileURLToPath } from 'node:url'
import { runSimulation } from '../sim/index.js'
import type { SimOptions, SimResult } from '../sim/index.js'
import { percentile, tail } from './lib/load.js'
import { currentBenchOptions } from './lib/options.js'
import { runCommand } from './lib/processes.js'
import { fmtNumber, renderTable } from './lib/table.js'
import type { ResultRow } from './lib/table.js'

interface Measured extends SimResult {
  /** CPU time of the measuring process (user + system). */
  cpuMs: number
}

const SELF = fileURLToPath(import.meta.url)

/** Runs one simulation in a child process (its own heap, so big meshes do not share memory with the bench). */
async function measure (options: SimOptions, heapMb = 4096): Promise<Measured> {
  const args = [`--max-old-space-size=${heapMb}`, SELF, '--measure', JSON.stringify(options)]
  const result = await runCommand(`sim ${options.scenario} ${options.nodes ?? ''}`, process.execPath, args, { timeoutMs: 30 * 60_000 })
  if (result.code !== 0) throw new Error(`simulation ${JSON.stringify(options)} failed (${result.code}): ${result.stderr.slice(-2000)}`)
  return JSON.parse(result.stdout) as Measured
}

/**
 * [nodes, virtual seconds, heap MiB]. 5,000 nodes run the shortest steady run the liveness phase allows
 * (65 s): the mass start alone is 25 M heartbeat deliveries and 5,000 welcomes of the whole table;
 * measured at about 490 s of CPU and 5 GB, so --quick leaves it out.
 */
const SCALING: ReadonlyArray<[number, number, number]> = [[100, 600, 4096], [1000, 600, 4096], [5000, 65, 16384]]

async function scaling (quick: boolean): Promise<Measured[]> {
  const plans = quick ? SCALING.filter(([nodes]) => nodes < 5000) : SCALING
  const runs: Measured[] = []
  for (const [nodes, seconds, heap] of plans) runs.push(await measure({ scenario: 'steady', nodes, seed: 7, durationMs: seconds * 1000 }, heap))
  const rows: ResultRow[] = runs.map(r => ({
    measure: `steady ${fmtNumber(r.nodes)} nodes, ${r.virtualMs / 1000} virtual s`,
    figure: `${(r.wallMs / 1000).toFixed(1)} s wall (${(r.cpuMs / 1000).toFixed(1)} s CPU), ${fmtNumber(r.eventsPerSec)} events/s, ${fmtNumber(r.events)} events`,
    reference: `${fmtNumber(r.messages)} msgs, ${r.messagesPerNodePerSec}/node/s, ${(r.wallMs / (r.virtualMs / 1000)).toFixed(0)} ms wall per virtual s`,
    ...(r.nodes === 1000 && r.virtualMs === 600_000 ? { goal: '< 60 s wall', met: r.wallMs < 60_000 } : {}),
    ...(r.invariantsOk ? {} : { goal: 'invariants hold', met: false })
  }))
  console.log(renderTable('Simulator scaling (steady scenario, seed 7; one process, one thread)', 'wall time and event rate', 'traffic', rows))
  return runs
}

/** Two rows, each figure / bound: the median time and the tail (p99, or the max when there are under 100 seeds). */
function convergenceRows (name: string, sorted: readonly number[], failures: number, bound: number): ResultRow[] {
  const never = failures > 0 ? `; ${failures} never converged or broke invariants` : ''
  const reference = `bound ${fmtNumber(bound)} ms`
  const p50 = sorted.length > 0 ? percentile(sorted, 50) : Number.NaN
  const worst = tail(sorted, 99, 'seeds')
  return [
    { measure: `${name}: p50 of ${sorted.length} seeds`, figure: sorted.length > 0 ? `${fmtNumber(p50)} ms` : 'never', reference, ratio: p50 / bound },
    {
      measure: `${name}: ${worst.label}${never}`,
      figure: sorted.length > 0 ? `${fmtNumber(worst.value)} ms` : 'never',
      reference,
      ratio: worst.value / bound,
      goal: 'all agree within the bound, invariants hold',
      met: failures === 0 && worst.value <= bound
    }
  ]
}

async function convergence (quick: boolean): Promise<void> {
  const plans: Array<[number, number]> = quick ? [[200, 6], [1000, 1]] : [[200, 20], [1000, 3]]
  const rows: ResultRow[] = []
  for (const [nodes, seeds] of plans) {
    const times: number[] = []
    let failures = 0
    let bound = 0
    for (let seed = 1; seed <= seeds; seed++) {
      const r = await measure({ scenario: 'partition-heal', nodes, seed })
      bound = r.bounds.convergenceMs
      if (r.convergedAfterMs === null || !r.invariantsOk) failures++
      else times.push(r.convergedAfterMs)
    }
    times.sort((a, b) => a - b)
    rows.push(...convergenceRows(`partition-heal ${fmtNumber(nodes)} nodes`, times, failures, bound))
  }
  console.log(renderTable('Membership agreement after a partition heals (time from heal until every live node holds the same alive set)', 'measured', 'stated bound', rows))
}

function traffic (runs: readonly Measured[]): void {
  const rows: ResultRow[] = runs.map(r => ({
    measure: `steady ${fmtNumber(r.nodes)} nodes`,
    figure: `${r.gossipPerNodePerSec} gossip deliveries/node/s`,
    reference: `${fmtNumber(r.directMessages / r.nodes / (r.virtualMs / 1000), 2)} direct msgs/node/s (probes, acks)`
  }))
  console.log(renderTable('Membership traffic per node (heartbeats adapt to mesh size: about 10 per node per second, period capped at 120 s)', 'gossip', 'direct', rows))
}

export async function run (): Promise<void> {
  const quick = currentBenchOptions().quick || process.argv.includes('--quick')
  const runs = await scaling(quick)
  traffic(runs)
  await convergence(quick)
}

async function measureMode (json: string): Promise<void> {
  const options = JSON.parse(json) as SimOptions
  const before = process.cpuUsage()
  const result = runSimulation(options)
  const cpu = process.cpuUsage(before)
  process.stdout.write(JSON.stringify({ ...result, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }))
}

if (process.argv[1] === SELF) {
  const at = process.argv.indexOf('--measure')
  const work = at >= 0 ? measureMode(process.argv[at + 1] ?? '{}') : run()
  work.catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
