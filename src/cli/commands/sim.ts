import { randomInt } from 'node:crypto'
import type { Command } from 'commander'
import { SCENARIOS, SimConfigError, formatSummary, runSimulation } from '../../../sim/index.js'
import { CACHE_SCENARIOS } from '../../../sim/cache/scenarios.js'
import { formatCacheSummary, runCacheSim } from '../../../sim/cache/run.js'
import { JOBS_SCENARIOS } from '../../../sim/jobs/scenarios.js'
import { runJobsSim } from '../../../sim/jobs/run.js'
import { formatJobsSummary } from '../../../sim/jobs/summary.js'
import { UsageError } from '../errors.js'

interface SimFlags {
  scenario: string
  nodes?: string
  seed?: string
  duration?: string
  jobs?: string
  json?: boolean
}

/**
 * The most virtual nodes of a membership or cache run: time and memory grow faster than the mesh (steady, seed 1:
 * 1,000 nodes took 27.7 s and 557 MB, 3,000 nodes 314 s and 2.4 GB).
 */
export const MAX_SIM_NODES = 5000

function integerFlag (name: string, value: string, min: number, max: number, why = ''): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${value}")${why}`)
  }
  return n
}

/** Membership scenarios first, then the cache scenarios (Membership + cache sharing). */
function scenarioNames (): string[] {
  return [...SCENARIOS.keys(), ...CACHE_SCENARIOS.map(s => s.name)]
}

/** Registers `gmesh sim`: runs a seeded scenario of virtual nodes with the real protocol code. */
export function register (program: Command): void {
  program
    .command('sim')
    .description(`run virtual nodes with the mesh's protocol code, inject faults, check invariants (scenarios: ${scenarioNames().join(', ')}; ` +
      `with --jobs: ${JOBS_SCENARIOS.map(s => s.name).join(', ')})`)
    .option('--scenario <name>', 'scenario to run', 'steady')
    .option('--nodes <n>', `number of virtual nodes, 2 to ${MAX_SIM_NODES} (with --jobs: 2 to 10000; default: the scenario's)`)
    .option('--seed <s>', 'seed (0..4294967295); the same seed replays the same run (default: random, printed)')
    .option('--duration <seconds>', 'virtual duration in seconds (default: the scenario\'s, longer if the mesh needs it)')
    .option('--jobs <j>', 'run J distributed builds on the virtual mesh (leader election, scheduling, work stealing) under the scenario\'s faults')
    .option('--json', 'print the result as JSON')
    .action((flags: SimFlags) => { runCommand(flags) })
}

function runCommand (flags: SimFlags): void {
  if (flags.jobs !== undefined) {
    runJobsCommand(flags)
    return
  }
  if (!scenarioNames().includes(flags.scenario)) {
    throw new UsageError(`unknown scenario "${flags.scenario}": choose one of ${scenarioNames().join(', ')}`)
  }
  const seed = flags.seed === undefined ? randomInt(0, 2 ** 32 - 1) : integerFlag('seed', flags.seed, 0, 2 ** 32 - 1)
  const nodes = flags.nodes === undefined
    ? undefined
    : integerFlag('nodes', flags.nodes, 2, MAX_SIM_NODES, ': a run\'s time and memory grow faster than its nodes (1,000 nodes: about 30 s and 0.6 GB; 3,000: about 5 min and 2.4 GB)')
  const durationMs = flags.duration === undefined ? undefined : integerFlag('duration', flags.duration, 1, 86_400) * 1000
  if (!SCENARIOS.has(flags.scenario)) {
    runCacheCommand(flags, seed, nodes, durationMs)
    return
  }
  let result
  try {
    result = runSimulation({ scenario: flags.scenario, seed, ...(nodes === undefined ? {} : { nodes }), ...(durationMs === undefined ? {} : { durationMs }) })
  } catch (err) {
    if (err instanceof SimConfigError) throw new UsageError(err.message)
    process.stderr.write(`gmesh sim: run with seed ${seed} failed; replay with ${replayArgs(flags, seed)}\n`)
    throw err
  }
  process.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatSummary(result)}\n`)
  if (!result.invariantsOk) process.exitCode = 1
}

function runCacheCommand (flags: SimFlags, seed: number, nodes: number | undefined, durationMs: number | undefined): void {
  let result
  try {
    result = runCacheSim({ scenario: flags.scenario, seed, ...(nodes === undefined ? {} : { nodes }), ...(durationMs === undefined ? {} : { durationMs }) })
  } catch (err) {
    if (err instanceof SimConfigError) throw new UsageError(err.message)
    process.stderr.write(`gmesh sim: run with seed ${seed} failed; replay with ${replayArgs(flags, seed)}\n`)
    throw err
  }
  process.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatCacheSummary(result)}\n`)
  if (!result.ok) process.exitCode = 1
}

function runJobsCommand (flags: SimFlags): void {
  const names = JOBS_SCENARIOS.map(s => s.name)
  if (!names.includes(flags.scenario)) throw new UsageError(`unknown jobs scenario "${flags.scenario}": with --jobs choose one of ${names.join(', ')}`)
  if (flags.duration !== undefined) throw new UsageError('--duration does not apply with --jobs: a jobs run lasts until every job completes (or its liveness budget ends)')
  const jobs = integerFlag('jobs', flags.jobs ?? '', 1, 1000)
  const seed = flags.seed === undefined ? randomInt(0, 2 ** 32 - 1) : integerFlag('seed', flags.seed, 0, 2 ** 32 - 1)
  // each jobs scenario checks its own minimum (sim/jobs/needs.ts): 2 is a submitter and a node to build
  const nodes = flags.nodes === undefined ? undefined : integerFlag('nodes', flags.nodes, 2, 10_000)
  let result
  try {
    result = runJobsSim({ scenario: flags.scenario, seed, jobs, ...(nodes === undefined ? {} : { nodes }) })
  } catch (err) {
    if (err instanceof SimConfigError) throw new UsageError(err.message)
    process.stderr.write(`gmesh sim: run with seed ${seed} failed; replay with ${replayArgs(flags, seed)}\n`)
    throw err
  }
  process.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatJobsSummary(result)}\n`)
  if (!result.ok) process.exitCode = 1
}

/** Every option that shapes a run, so the printed command replays it exactly. */
function replayArgs (flags: SimFlags, seed: number): string {
  const args = [`--scenario ${flags.scenario}`, `--seed ${seed}`]
  if (flags.jobs !== undefined) args.unshift(`--jobs ${flags.jobs}`)
  if (flags.nodes !== undefined) args.push(`--nodes ${flags.nodes}`)
  if (flags.duration !== undefined) args.push(`--duration ${flags.duration}`)
  return args.join(' ')
}
