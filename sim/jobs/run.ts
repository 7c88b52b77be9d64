import type { JobsConfig, JobSpec } from '../../protocols/jobs/index.js'
import { JobsProtocol, jobBounds } from '../../protocols/jobs/index.js'
import { Engine } from '../engine/index.js'
import { GOSSIPSUB_PROFILE, GossipModel } from '../gossip.js'
import { FaultState, LAN_PROFILE, Links } from '../network/index.js'
import { simPeerId } from '../peers.js'
import { Forger } from './forger.js'
import { HollowVictim } from './hollow-victim.js'
import { ResultForgingLeader } from './result-forger.js'
import { StealingLiar } from './stealing-liar.js'
import { ForgingLeader, ForgingVictim } from './ticket-forgers.js'
import { JobsHarness } from './harness.js'
import type { JobsFactory } from './harness.js'
import { JobsChecker } from './invariants.js'
import type { JobsViolation } from './invariants.js'
import { checkJobsMesh, checkJobsWorkers } from './needs.js'
import { jobsScenarioNamed } from './scenarios.js'
import type { JobsScenario } from './scenarios.js'
import { SimConfigError } from '../run.js'
import { SeededRunError, withSeed } from '../seeded-run.js'
import { randomJob } from './workload.js'
import type { WorkloadShape } from './workload.js'

export interface JobsSimOptions {
  readonly scenario: string
  readonly seed: number
  readonly nodes?: number
  readonly jobs?: number
  readonly shape?: WorkloadShape
  /** Share of nodes that accept builds (the rest are laptops with 0 slots; node 0 always submits). */
  readonly acceptShare?: number
  readonly faultsEndMs?: number
  /** Liveness phase budget after faults end. */
  readonly livenessMs?: number
  /** How long after the last job ends every node must have gone quiet (`nodes-go-quiet`). Default 20 s. */
  readonly quietMs?: number
  readonly jobsConfig?: Partial<JobsConfig>
  /**
   * Each node's belief about its own speed before it runs a unit (a calibration), off by up to
   * this share either way; null: nodes know nothing until they run units. Default 0.2.
   */
  readonly speedHintError?: number | null
  readonly createJobs?: JobsFactory
}

export interface JobsSimResult {
  readonly scenario: string
  readonly seed: number
  readonly nodes: number
  readonly ok: boolean
  readonly violations: readonly JobsViolation[]
  readonly jobsCompleted: number
  readonly jobs: number
  /** From submission to completion of the last job (ms), or null if one never completed. */
  readonly makespanMs: number | null
  /** max(total work / capacity, critical path) for the whole workload, in ms. */
  readonly lowerBoundMs: number
  readonly unitRuns: number
  /** Units handed out, and runs started, once their submitter had recorded their result (see JobsChecker). */
  readonly afterRecorded: { readonly handouts: number, readonly runs: number }
  readonly units: number
  readonly stolen: number
  readonly crashes: number
  /** Nodes that forged messages (the `forgers` and `forged-tickets` scenarios). */
  readonly forgers: readonly number[]
  /** Forged tickets the forging leader and the forging steal victim sent, and how many honest workers refused (`forged-tickets`). */
  readonly forgedTickets: { readonly byLeader: number, readonly byVictim: number, readonly refused: number }
  /** Results the result-forging leader passed off, and how many its submitters refused (`forged-results`). */
  readonly forgedResults: { readonly sent: number, readonly refused: number }
  /** Steal requests the hollow victim left unanswered (`hollow-victim`). */
  readonly hollowAsked: number
  /** Tickets the stealing liar was given (`stealing-liar`). */
  readonly liarStole: number
  readonly traceHash: string
}

const DEFAULT_SHAPE: WorkloadShape = { units: 60, cost: [100, 600], maxDeps: 2, window: 10 }
const DEFAULT_QUIET_MS = 20_000
const DEFAULT_NODES = 24
const DEFAULT_JOBS = 2

/** Runs one seeded jobs scenario: membership + jobs on every node, faults, then a liveness phase. */
export function runJobsSim (options: JobsSimOptions): JobsSimResult {
  const scenario = jobsScenarioNamed(options.scenario)
  if (scenario === undefined) throw new SimConfigError(`unknown jobs scenario ${options.scenario}`)
  checkJobsMesh(scenario, options.nodes ?? DEFAULT_NODES)
  try {
    return withSeed(options.seed, jobsReplayCommand(options, scenario), () => simulateJobs(options, scenario))
  } catch (err) {
    // the seed drew too few honest workers for the scenario: a usage error, not a failed run
    if (err instanceof SeededRunError && err.cause instanceof SimConfigError) throw err.cause
    throw err
  }
}

/** The gmesh command that replays a jobs run, unless options the command has no flag for shaped it. */
export function jobsReplayCommand (options: JobsSimOptions, scenario: JobsScenario): string | undefined {
  const flagged = new Set(['scenario', 'seed', 'nodes', 'jobs'])
  if (Object.entries(options).some(([key, value]) => !flagged.has(key) && value !== undefined)) return undefined
  return `gmesh sim --jobs ${options.jobs ?? scenario.jobs ?? DEFAULT_JOBS} --scenario ${scenario.name} --nodes ${options.nodes ?? DEFAULT_NODES} --seed ${options.seed}`
}

function simulateJobs (options: JobsSimOptions, scenario: JobsScenario): JobsSimResult {
  const size = options.nodes ?? DEFAULT_NODES
  const engine = new Engine(options.seed)
  const links = new Links(size, LAN_PROFILE, engine.random)
  const faults = new FaultState(size)
  const slots: number[] = []
  const msPerCost: number[] = []
  const acceptShare = options.acceptShare ?? 0.75
  for (let i = 0; i < size; i++) {
    slots.push(i === 0 || engine.random.nextFloat() >= acceptShare ? 0 : 1 + engine.random.nextInt(4))
    msPerCost.push(0.5 + engine.random.nextFloat() * 1.5)
  }
  const hintError = options.speedHintError === undefined ? 0.2 : options.speedHintError
  const speedHints = hintError === null ? undefined : msPerCost.map(speed => speed * (1 + hintError * (2 * engine.random.nextFloat() - 1)))
  const peers = Array.from({ length: size }, (_, i) => simPeerId(i))
  const submitters = new Set([0, ...Array.from({ length: size }, (_, i) => i).filter(i => slots[i] === 0).slice(0, 3)])
  const liars = pickForgers(scenario.forgers ?? 0, size, submitters)
  for (const i of liars) slots[i] = 0
  // the forging leader has more slots than any honest node (it wins every election); the forging victim some
  const [forgingLeader, forgingVictim] = [...pickForgers(scenario.ticketForgers === true ? 2 : 0, size, new Set([...submitters, ...liars]))]
  if (forgingLeader !== undefined) slots[forgingLeader] = 8
  if (forgingVictim !== undefined) slots[forgingVictim] = 2
  const [resultForger] = [...pickForgers(scenario.resultForger === true ? 1 : 0, size, new Set([...submitters, ...liars]))]
  if (resultForger !== undefined) slots[resultForger] = 8
  const [hollow] = [...pickForgers(scenario.hollowVictim === true ? 1 : 0, size, new Set([...submitters, ...liars]))]
  if (hollow !== undefined) slots[hollow] = 2
  const [thief] = [...pickForgers(scenario.stealingLiar === true ? 1 : 0, size, new Set([...submitters, ...liars]))]
  if (thief !== undefined) slots[thief] = 0
  const forgers = new Set([...liars, ...[forgingLeader, forgingVictim, resultForger, hollow, thief].filter(i => i !== undefined)])
  checkJobsWorkers(scenario, options.seed, size, slots, forgers)
  const checker = new JobsChecker(slots, peers, forgers)
  const share = scenario.straggleShare ?? 0
  const specs = new Map<string, JobSpec>()
  const roles = new Map<string, JobsFactory>()
  for (const i of liars) roles.set(peers[i] as string, o => new Forger(o, peers))
  if (forgingLeader !== undefined) roles.set(peers[forgingLeader] as string, o => new ForgingLeader(o))
  if (forgingVictim !== undefined) roles.set(peers[forgingVictim] as string, o => new ForgingVictim(o, specs))
  if (resultForger !== undefined) roles.set(peers[resultForger] as string, o => new ResultForgingLeader(o))
  if (hollow !== undefined) roles.set(peers[hollow] as string, o => new HollowVictim(o))
  if (thief !== undefined) roles.set(peers[thief] as string, o => new StealingLiar(o, peers))
  const createJobs = withForgers(roles, options.createJobs)
  const harness = new JobsHarness(size, {
    engine, links, faults, gossip: new GossipModel(GOSSIPSUB_PROFILE), slots, msPerCost, observer: checker,
    ...(speedHints === undefined ? {} : { speedHints }),
    jobsConfig: { ...(scenario.queueDepthPerSlot === undefined ? {} : { queueDepthPerSlot: scenario.queueDepthPerSlot }), ...options.jobsConfig },
    ...(createJobs === undefined ? {} : { createJobs }),
    ...(share > 0 ? { straggle: (_node: number, random: { nextFloat: () => number }) => random.nextFloat() < share ? 20 : 1 } : {})
  })
  harness.startAll()
  const jobs: JobSpec[] = []
  const submitAt = 3000
  const count = options.jobs ?? scenario.jobs ?? DEFAULT_JOBS
  const shape = options.shape ?? scenario.shape ?? DEFAULT_SHAPE
  const submitterList = [...submitters]
  for (let j = 0; j < count; j++) {
    const job = randomJob(`job${j}`, shape, engine.random)
    jobs.push(job)
    specs.set(job.jobId, job)
    const node = submitterList[j % submitterList.length] as number
    checker.submitted(job, peers[node] as string)
    engine.at(submitAt, () => { harness.input(node, (p, now) => { p.submitJob(job, now) }) })
  }
  const faultsEnd = submitAt + (options.faultsEndMs ?? 15_000)
  scenario.inject({ engine, harness, faults, links, checker, size, submitters, faultsEnd })
  engine.runUntil(faultsEnd, harness)
  faults.heal(engine.now)
  links.profile = { ...LAN_PROFILE }
  harness.resumeAll()
  const deadline = faultsEnd + (options.livenessMs ?? 120_000)
  while (engine.now < deadline && checker.completedAt.size < jobs.length) engine.runUntil(Math.min(deadline, engine.now + 1000), harness)
  checker.checkEnd(jobs, engine.now)
  if (checker.completedAt.size === jobs.length) {
    const quietMs = options.quietMs ?? DEFAULT_QUIET_MS
    engine.runUntil(engine.now + quietMs, harness)
    checker.checkQuiet(harness, quietMs, engine.now, forgers)
  }
  return summarise(options, scenario.name, size, { engine, harness, checker, jobs, slots, msPerCost, submitAt, forgers })
}

/** The scenario's forging nodes: the last ones that do not submit. */
function pickForgers (count: number, size: number, submitters: ReadonlySet<number>): ReadonlySet<number> {
  const forgers = new Set<number>()
  for (let i = size - 1; i >= 0 && forgers.size < count; i--) if (!submitters.has(i)) forgers.add(i)
  return forgers
}

/** Forging nodes run their role (`Forger`, `ForgingLeader`, `ForgingVictim`, `ResultForgingLeader`, `HollowVictim`, `StealingLiar`); the others what the run asked for. */
function withForgers (roles: ReadonlyMap<string, JobsFactory>, createJobs: JobsFactory | undefined): JobsFactory | undefined {
  if (roles.size === 0) return createJobs
  return options => roles.get(options.self)?.(options) ?? createJobs?.(options) ?? new JobsProtocol(options)
}

interface RunParts {
  engine: Engine
  harness: JobsHarness
  checker: JobsChecker
  jobs: JobSpec[]
  slots: number[]
  msPerCost: number[]
  submitAt: number
  forgers: ReadonlySet<number>
}

function summarise (options: JobsSimOptions, scenario: string, size: number, parts: RunParts): JobsSimResult {
  const { engine, harness, checker, jobs, slots, msPerCost, submitAt, forgers } = parts
  let capacity = 0
  let fastest = Infinity
  for (let i = 0; i < size; i++) {
    capacity += (slots[i] ?? 0) / (msPerCost[i] ?? 1)
    if ((slots[i] ?? 0) > 0) fastest = Math.min(fastest, msPerCost[i] ?? 1)
  }
  let work = 0
  let critical = 0
  for (const job of jobs) {
    const b = jobBounds(job.units)
    work += b.totalCost
    critical = Math.max(critical, b.criticalPath * fastest)
  }
  let stolen = 0
  const forgedTickets = { byLeader: 0, byVictim: 0, refused: 0 }
  const forgedResults = { sent: 0, refused: checker.forgedResultsRefused }
  let hollowAsked = 0
  let liarStole = 0
  for (let i = 0; i < size; i++) {
    const jobs = harness.jobsOf(i)
    stolen += jobs?.worker.stolenIn ?? 0
    if (jobs instanceof HollowVictim) hollowAsked += jobs.asked
    else if (jobs instanceof StealingLiar) liarStole += jobs.stole
    else if (jobs instanceof ResultForgingLeader) forgedResults.sent += jobs.forged
    else if (jobs instanceof ForgingLeader) forgedTickets.byLeader += jobs.forged
    else if (jobs instanceof ForgingVictim) forgedTickets.byVictim += jobs.forged
    else if (!forgers.has(i)) forgedTickets.refused += jobs?.worker.forgedTickets ?? 0
  }
  const done = checker.completedAt.size === jobs.length
  return {
    scenario,
    seed: options.seed,
    nodes: size,
    ok: checker.violations.length === 0,
    violations: checker.violations,
    jobsCompleted: checker.completedAt.size,
    jobs: jobs.length,
    makespanMs: done ? Math.max(...checker.completedAt.values()) - submitAt : null,
    lowerBoundMs: Math.max(work / capacity, critical),
    unitRuns: checker.runs,
    afterRecorded: { handouts: checker.handoutsAfterRecorded, runs: checker.runsAfterRecorded },
    units: jobs.reduce((n, j) => n + j.units.length, 0),
    stolen,
    crashes: harness.injected.crashes,
    forgers: [...forgers],
    forgedTickets,
    forgedResults,
    hollowAsked,
    liarStole,
    traceHash: engine.trace.digest()
  }
}
