import type { Random } from '../protocols/core/index.js'
import type { Engine } from './engine/index.js'
import { SEED_COUNT } from './harness.js'
import type { Harness } from './harness.js'
import type { Bounds } from './invariants.js'
import type { FaultState, Links } from './network/index.js'

/** What a scenario's fault schedule may touch. Faults are scheduled in [0, faultsEnd). */
export interface ChaosContext {
  readonly engine: Engine
  readonly harness: Harness
  readonly faults: FaultState
  readonly links: Links
  readonly size: number
  readonly faultsEnd: number
  /** The membership bounds of the run (a lasting crash starts a detection bound before the faults end). */
  readonly bounds: Bounds
}

export interface ChurnPlan {
  /** Crashes per minute, as a fraction of the nodes. */
  readonly crashesPerMinute: number
  readonly downMs: readonly [number, number]
  /** Probability a restart keeps the disk. */
  readonly withDisk: number
  /** Probability a crashed node stays down for the rest of the run. */
  readonly permanent: number
}

export interface PartitionPlan {
  readonly count: number
  readonly durationMs: readonly [number, number]
  /** Groups per partition (2 = a split in two). */
  readonly groups: number
  /** Probability a partition cuts both directions (otherwise lower groups cannot reach higher ones). */
  readonly symmetric: number
}

export function between (random: Random, [min, max]: readonly [number, number]): number {
  return min + random.nextFloat() * (max - min)
}

/**
 * Crashes random nodes at exponential intervals; each restarts after its downtime, with or without disk.
 * At least one crash is for good and starts a detection bound before the faults end or sooner, so every run
 * checks that a crash is noticed under faults (downtimes are shorter than the detection bound: a restart
 * comes before anyone must have noticed); when the draws give none, one more crash is added.
 * The node is picked at crash time among the nodes then up (by a draw made when planning, so the plan takes
 * the same draws whatever happens in the run), and its restart is scheduled only then: a crash never falls on
 * a node already down, so no restart can revive a node that another crash took down for good.
 */
export function scheduleChurn (ctx: ChaosContext, plan: ChurnPlan): void {
  const { engine, size, faultsEnd } = ctx
  const rate = (plan.crashesPerMinute * size) / 60_000
  const lastingBy = faultsEnd - ctx.bounds.detectionMs
  let lasting = false
  let t = rate <= 0 ? faultsEnd : 1000 - Math.log(1 - engine.random.nextFloat()) / rate
  while (t < faultsEnd) {
    const pick = engine.random.nextFloat()
    const down = between(engine.random, plan.downMs)
    const permanent = engine.random.nextFloat() < plan.permanent
    const withDisk = engine.random.nextFloat() < plan.withDisk
    const restartAt = permanent || t + down >= faultsEnd ? undefined : t + down
    engine.at(t, () => { crashOneUp(ctx, pick, restartAt, withDisk) })
    lasting ||= restartAt === undefined && t <= lastingBy
    t += -Math.log(1 - engine.random.nextFloat()) / rate
  }
  if (!lasting) scheduleLastingCrash(ctx)
}

/** Crashes a node that is up for good, at a random time from 1 s (or half the faults) to a detection bound before the faults end. */
export function scheduleLastingCrash (ctx: ChaosContext): void {
  const { engine, faultsEnd } = ctx
  const from = Math.min(1000, faultsEnd / 2)
  const at = between(engine.random, [from, Math.max(from, faultsEnd - ctx.bounds.detectionMs)])
  const pick = engine.random.nextFloat()
  engine.at(at, () => { crashOneUp(ctx, pick, undefined, false) })
}

/**
 * Crashes the node `pick` (in [0, 1)) selects among the nodes up now, and schedules its restart at `restartAt`
 * (none: it stays down). Returns the node crashed, or undefined when every node is down.
 */
export function crashOneUp (ctx: ChaosContext, pick: number, restartAt: number | undefined, withDisk: boolean): number | undefined {
  const { engine, harness, faults, size } = ctx
  const up: number[] = []
  for (let i = 0; i < size; i++) if (faults.up[i] === 1) up.push(i)
  const node = up[Math.floor(pick * up.length)]
  if (node === undefined || !harness.crash(node)) return undefined
  if (restartAt !== undefined) engine.at(restartAt, () => { harness.restart(node, withDisk) })
  return node
}

/** Splits the nodes into random groups for a while, `count` times, one partition at a time. */
export function schedulePartitions (ctx: ChaosContext, plan: PartitionPlan, startMs = 5000): void {
  const { engine, faults, size, faultsEnd } = ctx
  const slot = (faultsEnd - startMs) / Math.max(plan.count, 1)
  for (let p = 0; p < plan.count; p++) {
    const from = startMs + p * slot + engine.random.nextFloat() * slot * 0.2
    const to = Math.min(from + between(engine.random, plan.durationMs), startMs + (p + 1) * slot, faultsEnd)
    const groups = new Int32Array(size)
    for (let i = 0; i < size; i++) groups[i] = engine.random.nextInt(plan.groups)
    const symmetric = engine.random.nextFloat() < plan.symmetric
    engine.at(from, () => { faults.partition(groups, symmetric, engine.now) })
    engine.at(to, () => { faults.heal(engine.now) })
  }
}

/** Pauses random nodes (a stopped process: what reaches it waits) for a while. */
export function schedulePauses (ctx: ChaosContext, count: number, pauseMs: readonly [number, number]): void {
  const { engine, harness, size, faultsEnd } = ctx
  for (let p = 0; p < count; p++) {
    const node = engine.random.nextInt(size)
    const from = engine.random.nextFloat() * faultsEnd
    const to = Math.min(from + between(engine.random, pauseMs), faultsEnd)
    engine.at(from, () => { harness.pause(node) })
    engine.at(to, () => { harness.resume(node) })
  }
}

/** Makes a fraction of the nodes slow: every event they handle is delayed by `slowMs`. */
export function slowNodes (ctx: ChaosContext, fraction: number, slowMs: number): void {
  const count = Math.round(ctx.size * fraction)
  for (let k = 0; k < count; k++) ctx.faults.slowMs[ctx.engine.random.nextInt(ctx.size)] = slowMs
}

/**
 * Crashes every seed at once `downMs` before the faults end and restarts them all as the faults end, each with its
 * disk or not: `convergedAfterMs` is then the time the mesh takes to agree once they are back (the seeds join
 * through one another, so each is welcomed by one that has just restarted too).
 */
export function restartSeeds (ctx: ChaosContext, downMs: number, withDisk: readonly boolean[]): void {
  const { engine, harness, size, faultsEnd } = ctx
  const seeds = Math.min(SEED_COUNT, size)
  engine.at(faultsEnd - downMs, () => { for (let i = 0; i < seeds; i++) harness.crash(i) })
  engine.at(faultsEnd, () => { for (let i = 0; i < seeds; i++) harness.restart(i, withDisk[i] === true) })
}

/** Liveness phase: every fault stops; crashed nodes stay down (their crash must be noticed). */
export function endFaults (ctx: ChaosContext): void {
  const { faults, harness, links, engine } = ctx
  faults.heal(engine.now)
  for (let i = 0; i < ctx.size; i++) harness.resume(i)
  faults.slowMs.fill(0)
  links.profile = { ...links.profile, loss: 0, duplicate: 0, reorder: 0 }
}
