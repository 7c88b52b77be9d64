// Jobs simulator benchmark: 64 nodes of mixed speed (0.5–2 ms per unit of cost, 1–4 slots), one job of
// 500, 2,000 and 5,000 units; makespan against the lower bound max(total work / capacity, critical path
// on the fastest node), as p50/p99 over seeds, with and without work stealing. Each node bids with its speed
// as a calibration would give it, off by up to 20% (the simulator's default speedHintError).
// Runnable alone: `npx tsc -p . && node dist/bench/sim-jobs.js [--quick]`.
import { fileURLToPath } from 'node:url'
import { runJobsSim } from '../sim/jobs/run.js'
import type { JobsSimResult } from '../sim/jobs/run.js'
import { renderTable } from './lib/table.js'
import type { ResultRow } from './lib/table.js'

const GOAL = 1.2

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

function runOnce (units: number, seed: number, stealing: boolean): JobsSimResult {
  return runJobsSim({
    scenario: 'steady',
    seed,
    nodes: 64,
    jobs: 1,
    acceptShare: 1,
    faultsEndMs: 1000,
    livenessMs: 600_000,
    shape: { units, cost: [500, 3000], maxDeps: 2, window: 200 },
    jobsConfig: { stealing }
  })
}

function row (units: number, stealing: boolean, seeds: readonly number[]): ResultRow {
  const ratios: number[] = []
  const makespans: number[] = []
  const bounds: number[] = []
  let stolen = 0
  for (const seed of seeds) {
    const r = runOnce(units, seed, stealing)
    if (r.makespanMs === null || !r.ok) throw new Error(`seed ${seed}, ${units} units: the job did not complete cleanly (${JSON.stringify(r.violations.slice(0, 2))})`)
    ratios.push(r.makespanMs / r.lowerBoundMs)
    makespans.push(r.makespanMs)
    bounds.push(r.lowerBoundMs)
    stolen += r.stolen
  }
  ratios.sort((a, b) => a - b)
  makespans.sort((a, b) => a - b)
  bounds.sort((a, b) => a - b)
  const p99 = percentile(ratios, 99)
  return {
    measure: `${units} units, stealing ${stealing ? 'on' : 'off'} (${seeds.length} seeds, ${Math.round(stolen / seeds.length)} stolen/run)`,
    figure: `makespan p50 ${(percentile(makespans, 50) / 1000).toFixed(1)} s, p99 ${(percentile(makespans, 99) / 1000).toFixed(1)} s; ratio p50 ${percentile(ratios, 50).toFixed(2)}x`,
    reference: `bound p50 ${(percentile(bounds, 50) / 1000).toFixed(1)} s`,
    ratio: p99,
    goal: `p99 <= ${GOAL}x`,
    met: p99 <= GOAL
  }
}

export async function run (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const seeds = quick ? [1, 2, 3] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  const rows: ResultRow[] = []
  for (const units of [500, 2000, 5000]) {
    for (const stealing of [true, false]) rows.push(row(units, stealing, seeds))
  }
  console.log(renderTable('jobs simulator: makespan vs max(work / capacity, critical path), 64 mixed-speed nodes', 'simulated makespan', 'lower bound', rows))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
