// `npx tsc -p . && node dist/bench/sim-jobs-sweep.js [--seeds K] [--from S] [--scenario NAME]...`: every jobs scenario
// (or the named ones) over seeds S..S+K-1 (default 1..30) at the simulator's defaults (24 nodes, the scenario's
// workload). Prints one line per scenario: passing seeds, the makespan (p50, p90, max, mean), unit runs per unit, and
// units handed out and runs started once their submitter had recorded the unit's result (and in how many seeds);
// then every failing seed with its first violations and the command that replays it. Exit code 1 on any failure.
import { fileURLToPath } from 'node:url'
import { JOBS_SCENARIOS } from '../sim/jobs/scenarios.js'
import { runJobsSim } from '../sim/jobs/run.js'
import type { JobsSimResult } from '../sim/jobs/run.js'

interface SweepArgs { seeds: number, from: number, scenarios: string[] }

function parseArgs (argv: readonly string[]): SweepArgs {
  const args: SweepArgs = { seeds: 30, from: 1, scenarios: [] }
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]
    const value = argv[i + 1] ?? ''
    if (flag === '--scenario') {
      args.scenarios.push(value)
      continue
    }
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag ?? ''} needs a non-negative integer`)
    if (flag === '--seeds') args.seeds = n
    else if (flag === '--from') args.from = n
    else throw new Error(`unknown argument ${flag ?? ''}; usage: node dist/bench/sim-jobs-sweep.js [--seeds K] [--from S] [--scenario NAME]...`)
  }
  return args
}

const at = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN
const s = (ms: number): string => (ms / 1000).toFixed(2)

export function sweep (args: SweepArgs): number {
  const names = args.scenarios.length > 0 ? args.scenarios : JOBS_SCENARIOS.map(x => x.name)
  const failed: JobsSimResult[] = []
  console.log(`jobs scenarios, seeds ${args.from}..${args.from + args.seeds - 1}, makespan in s`)
  for (const scenario of names) {
    const makespans: number[] = []
    let runs = 0
    let units = 0
    let ok = 0
    const late = { seeds: 0, handouts: 0, runs: 0 }
    for (let seed = args.from; seed < args.from + args.seeds; seed++) {
      const r = runJobsSim({ scenario, seed })
      if (r.afterRecorded.runs > 0) late.seeds++
      late.handouts += r.afterRecorded.handouts
      late.runs += r.afterRecorded.runs
      runs += r.unitRuns
      units += r.units
      if (r.makespanMs !== null) makespans.push(r.makespanMs)
      if (r.ok && r.makespanMs !== null) ok++
      else failed.push(r)
    }
    makespans.sort((a, b) => a - b)
    const mean = makespans.reduce((a, b) => a + b, 0) / Math.max(1, makespans.length)
    console.log(`${scenario.padEnd(15)} ok ${String(ok).padStart(3)}/${args.seeds}  makespan p50 ${s(at(makespans, 0.5))}  p90 ${s(at(makespans, 0.9))}  max ${s(at(makespans, 1))}  mean ${s(mean)}  runs/unit ${(runs / Math.max(1, units)).toFixed(3)}  after recorded: ${late.handouts} handed out, ${late.runs} runs (${late.seeds} seeds)`)
  }
  for (const r of failed) {
    console.log(`FAILED ${r.scenario} seed ${r.seed} (${r.jobsCompleted} of ${r.jobs} jobs completed); replay: gmesh sim --jobs ${r.jobs} --scenario ${r.scenario} --nodes ${r.nodes} --seed ${r.seed}`)
    for (const v of r.violations.slice(0, 4)) console.log(`  ${v.invariant} at ${v.at} ms: ${v.detail}`)
  }
  return failed.length === 0 ? 0 : 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = sweep(parseArgs(process.argv.slice(2)))
  } catch (err) {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 2
  }
}
