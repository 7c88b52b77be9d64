import type { Random } from '../protocols/core/index.js'
import { between, restartSeeds, schedulePartitions, schedulePauses, scheduleChurn, slowNodes } from './chaos.js'
import type { ChaosContext } from './chaos.js'
import { LAN_PROFILE } from './network/index.js'
import type { LinkProfile } from './network/index.js'
import type { Bounds } from './invariants.js'
import type { ForgerySpec } from './membership-forgers/setup.js'

/** A named run: its network and the faults of its safety phase. */
export interface Scenario {
  readonly name: string
  readonly description: string
  readonly defaultNodes: number
  readonly defaultDurationMs: number
  /** The link profile of the safety phase (drawn from the seed in swarm mode). */
  readonly profile: (random: Random) => LinkProfile
  /** Schedules the safety phase's faults. */
  readonly inject: (ctx: ChaosContext) => void
  /** The shortest safety phase (faults on) whose faults test what the scenario is for, given the run's bounds. */
  readonly minFaultsMs: (bounds: Bounds) => number
  /** Members that forge records about others (their views are left out of the invariants). */
  readonly forgery?: ForgerySpec
}

/** The shortest safety phase of any scenario. */
const ANY_FAULTS_MS = 10_000
/** When partition-heal splits the mesh. */
const SPLIT_AT_MS = 10_000

/** Churn keeps a crash for good that starts from 1 s to a detection bound before the faults end (scheduleChurn), with room for the rest. */
function lastingCrashFits (bounds: Bounds): number {
  return bounds.detectionMs + ANY_FAULTS_MS
}

const steady: Scenario = {
  name: 'steady',
  description: 'a healthy LAN, no faults: heartbeats and probes only',
  defaultNodes: 100,
  defaultDurationMs: 120_000,
  profile: () => LAN_PROFILE,
  inject: () => {},
  minFaultsMs: () => ANY_FAULTS_MS
}

const churn: Scenario = {
  name: 'churn',
  description: 'nodes crash and restart (with or without disk), some for good, some pause',
  defaultNodes: 100,
  defaultDurationMs: 150_000,
  profile: () => LAN_PROFILE,
  inject: ctx => {
    scheduleChurn(ctx, { crashesPerMinute: 0.05, downMs: [3000, 30_000], withDisk: 0.5, permanent: 0.2 })
    schedulePauses(ctx, Math.max(1, Math.round(ctx.size * 0.02)), [500, 8000])
  },
  minFaultsMs: lastingCrashFits
}

const partitionHeal: Scenario = {
  name: 'partition-heal',
  description: 'the mesh splits in two (symmetric) after 10 s; the split heals when the liveness phase starts',
  defaultNodes: 100,
  defaultDurationMs: 120_000,
  profile: () => LAN_PROFILE,
  inject: ctx => {
    const { engine, faults, size } = ctx
    const groups = new Int32Array(size)
    const share = 0.3 + engine.random.nextFloat() * 0.2
    for (let i = 0; i < size; i++) groups[i] = engine.random.nextFloat() < share ? 1 : 0
    engine.at(SPLIT_AT_MS, () => { faults.partition(groups, true, engine.now) })
  },
  // the split lasts a detection bound at least: each side has declared the other dead before it heals
  minFaultsMs: bounds => SPLIT_AT_MS + bounds.detectionMs
}

const lossyLan: Scenario = {
  name: 'lossy-lan',
  description: '10% loss, 5% duplication, 20% reordering, jitter, and 2% slow nodes',
  defaultNodes: 100,
  defaultDurationMs: 120_000,
  profile: () => ({ ...LAN_PROFILE, jitterMs: 2, loss: 0.1, duplicate: 0.05, reorder: 0.2, reorderMs: 30 }),
  inject: ctx => { slowNodes(ctx, 0.02, 200) },
  minFaultsMs: () => ANY_FAULTS_MS
}

const swarm: Scenario = {
  name: 'swarm',
  description: 'every fault knob drawn from the seed: loss, duplication, reordering, latency, partitions, churn, pauses, slow nodes',
  defaultNodes: 200,
  defaultDurationMs: 180_000,
  profile: random => ({
    baseLatencyMs: between(random, [0.2, 5]),
    spreadLatencyMs: between(random, [1, 60]),
    jitterMs: between(random, [0.1, 10]),
    loss: random.nextFloat() < 0.3 ? 0 : between(random, [0, 0.15]),
    duplicate: between(random, [0, 0.05]),
    reorder: between(random, [0, 0.3]),
    reorderMs: between(random, [0, 80]),
    bandwidthBytesPerSec: between(random, [1_000_000, 100_000_000])
  }),
  inject: ctx => {
    const r = ctx.engine.random
    schedulePartitions(ctx, { count: r.nextInt(4), durationMs: [5000, 40_000], groups: 2 + r.nextInt(2), symmetric: r.nextFloat() })
    scheduleChurn(ctx, { crashesPerMinute: between(r, [0, 0.08]), downMs: [2000, 40_000], withDisk: r.nextFloat(), permanent: between(r, [0, 0.3]) })
    schedulePauses(ctx, r.nextInt(Math.max(2, Math.round(ctx.size * 0.03))), [200, 15_000])
    slowNodes(ctx, between(r, [0, 0.05]), between(r, [20, 300]))
  },
  minFaultsMs: lastingCrashFits
}

const seedsRestart: Scenario = {
  name: 'seeds-restart',
  description: 'a healthy LAN where every seed crashes at once and all restart as the faults end (down 0-8 s, each with its disk or not): ' +
    'the time to agreement is how fast restarted nodes that join through one another catch up',
  defaultNodes: 100,
  defaultDurationMs: 120_000,
  profile: () => LAN_PROFILE,
  inject: ctx => {
    const r = ctx.engine.random
    const downMs = Math.round(between(r, [0, 8000]))
    restartSeeds(ctx, downMs, Array.from({ length: ctx.size }, () => r.nextFloat() < 0.5))
  },
  // the mesh has settled before the seeds crash: every node has heard every heartbeat (one interval is 20 s at 200 nodes)
  minFaultsMs: () => 40_000
}

const forgedMembers: Scenario = {
  name: 'forged-members',
  description: 'three members forge records about others (alive at the incarnation bound, suspicions and deaths just under it, ' +
    'made-up peers, deaths of live members) in gossip, pings, pull answers and welcomes, one of them otherwise silent; 2% loss',
  defaultNodes: 30,
  defaultDurationMs: 120_000,
  profile: () => ({ ...LAN_PROFILE, loss: 0.02 }),
  inject: ctx => { schedulePauses(ctx, 2, [500, 5000]) },
  // about 20 strikes per forger, every kind of lie
  minFaultsMs: () => 20_000,
  forgery: { forgers: 3, madeUpPeers: 6 }
}

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [steady, churn, partitionHeal, lossyLan, swarm, seedsRestart, forgedMembers].map(s => [s.name, s])
)

export class UnknownScenarioError extends Error {
  override name = 'UnknownScenarioError'
  constructor (name: string) {
    super(`unknown scenario "${name}": choose one of ${[...SCENARIOS.keys()].join(', ')}`)
  }
}

export function scenarioNamed (name: string): Scenario {
  const scenario = SCENARIOS.get(name)
  if (scenario === undefined) throw new UnknownScenarioError(name)
  return scenario
}
