import {
  DEFAULT_MEMBERSHIP_CONFIG, detectionBoundMs, refutationBoundMs, suspicionTimeoutMs
} from '../protocols/membership/index.js'
import type { MembershipConfig } from '../protocols/membership/index.js'
import { endFaults } from './chaos.js'
import type { ChaosContext } from './chaos.js'
import { Engine } from './engine/index.js'
import { GOSSIPSUB_PROFILE, GossipModel } from './gossip.js'
import { Harness } from './harness.js'
import type { ProtocolFactory } from './harness.js'
import { InvariantChecker } from './invariants.js'
import type { Bounds, InvariantName, Violation } from './invariants.js'
import { Forgery, madeUpBoundFor } from './membership-forgers/setup.js'
import type { ForgeryResult } from './membership-forgers/setup.js'
import { FaultState, Links } from './network/index.js'
import { scenarioNamed } from './scenarios.js'
import type { Scenario } from './scenarios.js'
import { withSeed } from './seeded-run.js'

export interface SimOptions {
  readonly scenario: string
  readonly seed: number
  readonly nodes?: number
  readonly durationMs?: number
  /** Test hook: run a (possibly deliberately broken) protocol variant. */
  readonly createProtocol?: ProtocolFactory
  /** Test hook: schedules the safety phase's faults instead of the scenario (which still gives the link profile). */
  readonly injectFaults?: (ctx: ChaosContext) => void
  readonly config?: Partial<MembershipConfig>
  /** How often the safety invariants are checked (virtual ms). */
  readonly checkIntervalMs?: number
}

export interface SimResult {
  readonly scenario: string
  readonly seed: number
  readonly nodes: number
  readonly invariantsOk: boolean
  readonly violations: readonly Violation[]
  readonly violationCount: number
  readonly violationsByInvariant: Readonly<Record<InvariantName, number>>
  readonly traceHash: string
  /** Direct messages sent plus gossip deliveries. */
  readonly messages: number
  readonly directMessages: number
  readonly gossipPublished: number
  readonly gossipDeliveries: number
  readonly messagesPerNodePerSec: number
  readonly gossipPerNodePerSec: number
  readonly events: number
  readonly eventsPerSec: number
  readonly virtualMs: number
  readonly wallMs: number
  /** When the liveness phase began (faults off). */
  readonly faultsEndMs: number
  /** Time from the end of faults until every live node agreed on membership, or null if never. */
  readonly convergedAfterMs: number | null
  readonly bounds: Bounds
  /** Faults the run injected. */
  readonly faults: { readonly crashes: number, readonly restarts: number, readonly pauses: number, readonly partitions: number }
  /** Forgers' scenarios (forged-members): what they forged and what the honest nodes made of it. */
  readonly forgery?: ForgeryResult
}

export class SimConfigError extends Error {
  override name = 'SimConfigError'
}

/** The bounds the membership protocol claims for a mesh of `n` nodes. */
export function boundsFor (config: MembershipConfig, n: number): Bounds {
  const detectionMs = detectionBoundMs(config, n)
  const refutationMs = refutationBoundMs(config, n)
  return { detectionMs, refutationMs, convergenceMs: Math.max(detectionMs, suspicionTimeoutMs(config, n) + refutationMs) }
}

/** Slack after the last bound the liveness phase waits for: a few safety checks past it. */
const LIVENESS_SLACK_MS = 10_000

/**
 * How long a run of `scenario` on `nodes` nodes keeps faults off at its end: the convergence bound, and for
 * forgers' scenarios the made-up peer bound (made-up peers must be let go within the run), plus slack.
 */
export function livenessPhaseMs (scenario: Scenario, config: MembershipConfig, nodes: number, bounds: Bounds): number {
  const madeUpMs = scenario.forgery === undefined ? 0 : madeUpBoundFor(scenario.forgery, config, nodes)
  return Math.max(bounds.convergenceMs, madeUpMs) + LIVENESS_SLACK_MS
}

/** The phases a run of `scenario` on `nodes` nodes needs, from its bounds: the shortest safety phase, the liveness phase, and their sum in whole seconds. */
export function phasesFor (scenario: Scenario, config: MembershipConfig, nodes: number): { bounds: Bounds, faultsMs: number, livenessMs: number, shortestMs: number } {
  const bounds = boundsFor(config, nodes)
  const faultsMs = scenario.minFaultsMs(bounds)
  const livenessMs = livenessPhaseMs(scenario, config, nodes, bounds)
  return { bounds, faultsMs, livenessMs, shortestMs: Math.ceil((faultsMs + livenessMs) / 1000) * 1000 }
}

/** Runs one seeded scenario: safety phase with faults, then a liveness phase long enough to converge. */
export function runSimulation (options: SimOptions): SimResult {
  const scenario = scenarioNamed(options.scenario)
  const nodes = options.nodes ?? scenario.defaultNodes
  if (!Number.isInteger(nodes) || nodes < 2) throw new SimConfigError(`--nodes must be an integer of at least 2 (got ${nodes})`)
  const config = { ...DEFAULT_MEMBERSHIP_CONFIG, ...options.config }
  const { bounds, faultsMs, livenessMs, shortestMs } = phasesFor(scenario, config, nodes)
  // the default duration stretches to the shortest a mesh this big needs; a duration asked for does not
  const durationMs = options.durationMs ?? Math.max(scenario.defaultDurationMs, shortestMs)
  if (durationMs < shortestMs) {
    throw new SimConfigError(`--duration must be at least ${shortestMs / 1000} s for ${scenario.name} on ${nodes} nodes ` +
      `(its faults need ${Math.ceil(faultsMs / 1000)} s, then the liveness phase takes ${Math.ceil(livenessMs / 1000)} s)`)
  }
  const plan: RunPlan = { scenario, nodes, durationMs, config, bounds, livenessMs }
  return withSeed(options.seed, replayCommand(options, nodes, durationMs), () => simulate(options, plan))
}

/** The gmesh command that replays a run, unless test hooks shaped it. */
export function replayCommand (options: SimOptions, nodes: number, durationMs: number): string | undefined {
  const hooked = options.createProtocol !== undefined || options.injectFaults !== undefined || options.config !== undefined || options.checkIntervalMs !== undefined
  return hooked ? undefined : `gmesh sim --scenario ${options.scenario} --nodes ${nodes} --seed ${options.seed} --duration ${durationMs / 1000}`
}

/** A run's checked options and what follows from them. */
interface RunPlan {
  readonly scenario: Scenario
  readonly nodes: number
  readonly durationMs: number
  readonly config: MembershipConfig
  readonly bounds: Bounds
  readonly livenessMs: number
}

function simulate (options: SimOptions, plan: RunPlan): SimResult {
  const { scenario, nodes, durationMs, config, bounds, livenessMs } = plan
  const started = performance.now()
  const engine = new Engine(options.seed >>> 0)
  const links = new Links(nodes, scenario.profile(engine.random), engine.random)
  const faults = new FaultState(nodes)
  const faultsEnd = durationMs - livenessMs
  const forgery = scenario.forgery === undefined ? undefined : new Forgery(scenario.forgery, nodes, faultsEnd, config, engine.random)
  const createProtocol = forgery === undefined ? options.createProtocol : forgery.factory(options.createProtocol)
  const harness = new Harness(nodes, {
    engine, links, faults, gossip: new GossipModel(GOSSIPSUB_PROFILE), config, ...(createProtocol === undefined ? {} : { createProtocol })
  })
  const checker = new InvariantChecker(harness, faults, bounds, forgery?.forgers, forgery?.madeUp)
  forgery?.attach(harness, faults, checker, bounds, () => engine.now)
  const ctx: ChaosContext = { engine, harness, faults, links, size: nodes, faultsEnd, bounds }
  harness.startAll()
  const inject = options.injectFaults ?? scenario.inject
  inject(ctx)
  engine.at(faultsEnd, () => { endFaults(ctx) })
  const checkEvery = options.checkIntervalMs ?? 2000
  for (let t = checkEvery; t <= durationMs; t += checkEvery) engine.at(t, () => { checker.checkSafety(engine.now); forgery?.check(engine.now) })
  let convergedAt: number | null = null
  const watchConvergence = (): void => {
    if (checker.agreed()) convergedAt = engine.now
    else if (engine.now + 250 <= durationMs) engine.at(engine.now + 250, watchConvergence)
  }
  engine.at(faultsEnd, watchConvergence)
  // a late agreement is a violation of the run itself, so every caller (CLI, swarm runner, tests) sees it
  engine.at(faultsEnd + bounds.convergenceMs, () => { if (convergedAt === null) checker.checkConvergedInTime(engine.now, faultsEnd) })
  engine.runUntil(durationMs, harness)
  checker.checkConverged(durationMs)
  const wallMs = performance.now() - started
  const result = summarize({ options, scenario: scenario.name, nodes, durationMs, engine, harness, checker, wallMs, faultsEnd, convergedAt, partitions: faults.partitions })
  return forgery === undefined ? result : { ...result, forgery: forgery.result() }
}

interface RunParts {
  options: SimOptions
  scenario: string
  nodes: number
  durationMs: number
  engine: Engine
  harness: Harness
  checker: InvariantChecker
  wallMs: number
  faultsEnd: number
  convergedAt: number | null
  partitions: number
}

function summarize (p: RunParts): SimResult {
  const stats = p.harness.transport.stats
  const seconds = p.durationMs / 1000
  const messages = stats.directSent + stats.gossipDelivered
  return {
    scenario: p.scenario,
    seed: p.options.seed,
    nodes: p.nodes,
    invariantsOk: p.checker.ok,
    violations: p.checker.violations,
    violationCount: p.checker.violationCount,
    violationsByInvariant: { ...p.checker.counts },
    traceHash: p.engine.trace.digest(),
    messages,
    directMessages: stats.directSent,
    gossipPublished: stats.published,
    gossipDeliveries: stats.gossipDelivered,
    messagesPerNodePerSec: round2(messages / p.nodes / seconds),
    gossipPerNodePerSec: round2(stats.gossipDelivered / p.nodes / seconds),
    events: p.engine.processed,
    eventsPerSec: Math.round(p.engine.processed / (p.wallMs / 1000)),
    virtualMs: p.durationMs,
    wallMs: Math.round(p.wallMs),
    faultsEndMs: p.faultsEnd,
    convergedAfterMs: p.convergedAt === null ? null : p.convergedAt - p.faultsEnd,
    bounds: p.checker.bounds,
    faults: { ...p.harness.injected, partitions: p.partitions }
  }
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}
