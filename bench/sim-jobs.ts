// Jobs simulator benchmark: 64 nodes of mixed speed (0.5–2 ms per unit of cost, 1–4 slots), one job of
// 500, 2,000 and 5,000 units; makespan against the lower bound max(total work / capacity, critical path
// on the fastest node), at the median and in the worst seed (p99 once there are 100 seeds), with and without
// work stealing. Each node bids with its speed
// as a calibration would give it, off by up to 20% (the simulator's default speedHintError).
// Runnable alone: `npx tsc -p . && node dist/bench/sim-jobs.js [--quick]`.
import { fileURLToPath } from 'node:url'
import { runJobsSim } from '../sim/jobs/run.js'
import type { JobsSimResult } from '../sim/jobs/run.js'
import { percentile, tail } from './lib/load.js'
import { renderTable } from './lib/table.js'
import type { ResultRow } from './lib/table.js'

const GOAL = 1.2

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

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * Two rows, each figure / reference: the median makespan against the median bound, and the run with the tail
 * makespan/bound ratio (p99, or the max of the seeds when there are fewer than 100) against its own bound.
 */
function rows (units: number, stealing: boolean, seeds: readonly number[]): ResultRow[] {
  const runs: Array<{ makespan: number, bound: number, ratio: number }> = []
  let stolen = 0
  for (const seed of seeds) {
    const r = runOnce(units, seed, stealing)
    if (r.makespanMs === null || !r.ok) throw new Error(`seed ${seed}, ${units} units: the job did not complete cleanly (${JSON.stringify(r.violations.slice(0, 2))})`)
    runs.push({ makespan: r.makespanMs, bound: r.lowerBoundMs, ratio: r.makespanMs / r.lowerBoundMs })
    stolen += r.stolen
  }
  runs.sort((a, b) => a.ratio - b.ratio)
  const makespan = percentile(runs.map(r => r.makespan).sort((a, b) => a - b), 50)
  const bound = percentile(runs.map(r => r.bound).sort((a, b) => a - b), 50)
  const worst = tail(runs.map(r => r.ratio), 99, 'seeds')
  const run = runs.find(r => r.ratio === worst.value)!
  const name = `${units} units, stealing ${stealing ? 'on' : 'off'}`
  return [
    { measure: `${name} (${seeds.length} seeds, ${Math.round(stolen / seeds.length)} stolen/run): p50`, figure: `makespan ${seconds(makespan)}`, reference: `bound ${seconds(bound)}`, ratio: makespan / bound },
    { measure: `${name}: ${worst.label} of makespan/bound`, figure: `makespan ${seconds(run.makespan)}`, reference: `its bound ${seconds(run.bound)}`, ratio: worst.value, goal: `<= ${GOAL}x`, met: worst.value <= GOAL }
  ]
}

export async function run (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const seeds = quick ? [1, 2, 3] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  const table: ResultRow[] = []
  for (const units of [500, 2000, 5000]) {
    for (const stealing of [true, false]) table.push(...rows(units, stealing, seeds))
  }
  console.log(renderTable('jobs simulator: makespan vs max(work / capacity, critical path), 64 mixed-speed nodes', 'simulated makespan', 'lower bound', table))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
