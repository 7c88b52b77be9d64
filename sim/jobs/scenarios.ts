import type { Engine } from '../engine/index.js'
import type { WorkloadShape } from './workload.js'
import type { FaultState, Links } from '../network/index.js'
import type { JobsChecker } from './invariants.js'
import type { JobsHarness } from './harness.js'

/** What a jobs scenario's faults may touch; faults happen in [0, faultsEnd). */
export interface JobsChaos {
  readonly engine: Engine
  readonly harness: JobsHarness
  readonly faults: FaultState
  readonly links: Links
  readonly checker: JobsChecker
  readonly size: number
  /** Nodes that submit jobs (never crashed: the submitter is the job's owner). */
  readonly submitters: ReadonlySet<number>
  readonly faultsEnd: number
}

export interface JobsScenario {
  readonly name: string
  readonly description: string
  readonly inject: (ctx: JobsChaos) => void
  /** Per-run unit slowdown (stragglers); default none. */
  readonly straggleShare?: number
  /** Units queued per slot on workers (long queues make steal storms). */
  readonly queueDepthPerSlot?: number
  /** Workload when the run does not say: jobs submitted and their shape. */
  readonly jobs?: number
  readonly shape?: WorkloadShape
  /** Nodes (without build slots, never submitters) that run a `Forger`: they lie to everyone about every job. */
  readonly forgers?: number
  /**
   * Two more nodes that forge tickets (`sim/jobs/ticket-forgers.ts`): a `ForgingLeader` with more build slots than
   * any other node (it leads every job) and a `ForgingVictim` that claims a long queue and answers steals.
   */
  readonly ticketForgers?: boolean
  /** One more node, a `HollowVictim` (`sim/jobs/hollow-victim.ts`) with 2 slots: it claims a long queue and never answers a steal. */
  readonly hollowVictim?: boolean
  /**
   * One more node, a `StealingLiar` (`sim/jobs/stealing-liar.ts`) with no build slots: it steals from every node,
   * reports what it got `held` and sends results it signed itself, running nothing.
   */
  readonly stealingLiar?: boolean
  /** One more node, a `ResultForgingLeader` (`sim/jobs/result-forger.ts`) with more build slots than any other: it leads every job until deposed. */
  readonly resultForger?: boolean
  /** Honest nodes with build slots the scenario needs, and why (`sim/jobs/needs.ts`); default one, to run the units. */
  readonly workers?: { readonly needed: number, readonly why: string }
}

function acceptingWorkers (ctx: JobsChaos): number[] {
  const out: number[] = []
  for (let i = 0; i < ctx.size; i++) if (!ctx.submitters.has(i) && ctx.faults.up[i] === 1 && (ctx.harness.jobsOf(i)?.worker.slots ?? 0) > 0) out.push(i)
  return out
}

/**
 * Acting leaders `crashLeaders` crashes in a run of jobs submitted together: they share their leader (every submitter
 * grants the same best bid). The first grant comes `bidWindowMs` (0.3 s) after the jobs are submitted (at 3 s); the
 * submitter grants the next term only `leaseMs + leaseMarginMs` (2.5 s) after the last lease request it heard, so
 * leaders crashed as soon as they act follow each other at most every 2.5 s, and the fault window (to 18 s) holds
 * 1 + floor((18 - 3.3) / 2.5) = 6 terms (24 nodes, seeds 1-30: 6 crashes each). Jobs that end up led by different
 * nodes (bids lost under `lossy`) can cost a few more (up to 10): the schedule never crashes the last node with build
 * slots that is up, so a job always has one to finish on.
 */
export const LEADER_CRASHES = 6

/** What a scenario that crashes leaders and leaves them down needs: one builder, as `crashLeaders` spares the last (`sim/jobs/needs.ts`). */
const SPARED_BUILDER = {
  needed: 1,
  why: 'the scenario crashes acting leaders and leaves them down, but never the last node with build slots that is up, and that one runs the units'
}

/** Crashes the acting leader of every job shortly after it starts acting, once; never the last node with slots up. */
function crashLeaders (ctx: JobsChaos): void {
  const { engine, harness } = ctx
  const crashed = new Set<string>()
  const check = (): void => {
    for (const [key, peer] of ctx.checker.leaders) {
      const node = harness.indexOf(peer)
      if (crashed.has(key) || node === undefined || ctx.submitters.has(node)) continue
      crashed.add(key)
      if (acceptingWorkers(ctx).length > 1) harness.crash(node)
    }
    if (engine.now + 500 < ctx.faultsEnd) engine.at(engine.now + 500, check)
  }
  engine.at(1500, check)
}

/** What a stealing scenario needs: an idle honest node to steal and a busy one to steal from. */
const STEALING = { needed: 2, why: 'stealing takes an idle node with build slots and a busy one to steal from' }

const steady: JobsScenario = { name: 'steady', description: 'no faults', inject: () => {} }

const partition: JobsScenario = {
  name: 'partition',
  description: 'the mesh splits in two (symmetric) during the election and the first units, then heals',
  inject: ctx => {
    const groups = new Int32Array(ctx.size)
    for (let i = 0; i < ctx.size; i++) groups[i] = ctx.engine.random.nextFloat() < 0.4 ? 1 : 0
    ctx.engine.at(200, () => { ctx.faults.partition(groups, true, ctx.engine.now) })
    ctx.engine.at(Math.min(ctx.faultsEnd, 8000), () => { ctx.faults.heal(ctx.engine.now) })
  }
}

const leaderCrash: JobsScenario = {
  name: 'leader-crash',
  description: 'each acting leader crashes and stays down, term after term, until faults end',
  workers: SPARED_BUILDER,
  inject: crashLeaders
}

const workerCrash: JobsScenario = {
  name: 'worker-crash',
  description: 'a quarter of the workers crash mid-build; half restart with a blank jobs state',
  inject: ctx => {
    ctx.engine.at(2000, () => {
      const workers = acceptingWorkers(ctx)
      for (let k = 0; k < Math.max(1, Math.floor(workers.length / 4)); k++) {
        const node = workers.splice(ctx.engine.random.nextInt(workers.length), 1)[0] as number
        ctx.harness.crash(node)
        if (k % 2 === 0) ctx.engine.at(ctx.engine.now + 3000, () => { ctx.harness.restart(node) })
      }
    })
  }
}

const stragglers: JobsScenario = {
  name: 'stragglers',
  description: '5% of unit runs take 20 times longer; speculation must cover them',
  straggleShare: 0.05,
  inject: () => {}
}

const stealStorm: JobsScenario = {
  name: 'steal-storm',
  description: 'deep worker queues and paused nodes: idle nodes steal hard from whoever is busiest',
  queueDepthPerSlot: 8,
  jobs: 4,
  shape: { units: 150, cost: [100, 600], maxDeps: 1, window: 50 },
  workers: STEALING,
  inject: ctx => {
    const workers = acceptingWorkers(ctx)
    for (let k = 0; k < Math.max(1, Math.floor(workers.length / 8)); k++) {
      const node = workers[ctx.engine.random.nextInt(workers.length)] as number
      const at = 1000 + ctx.engine.random.nextInt(3000)
      ctx.engine.at(at, () => { ctx.harness.pause(node) })
      ctx.engine.at(at + 2000, () => { ctx.harness.resume(node) })
    }
  }
}

const lossy: JobsScenario = {
  name: 'lossy',
  description: '5% loss, 5% duplication, 20% reordering and crashed leaders: every message kind must be retried or redundant',
  workers: SPARED_BUILDER,
  inject: ctx => {
    ctx.links.profile = { ...ctx.links.profile, jitterMs: 2, loss: 0.05, duplicate: 0.05, reorder: 0.2, reorderMs: 30 }
    crashLeaders(ctx)
  }
}

const leaderCutOff: JobsScenario = {
  name: 'leader-cut-off',
  description: 'the first acting leader is cut off from every other node until faults end; its jobs go on under the next term',
  inject: ctx => {
    const cut = (): void => {
      const first = ctx.checker.leaders.values().next()
      const node = first.done === true ? undefined : ctx.harness.indexOf(first.value)
      if (node === undefined) {
        if (ctx.engine.now + 100 < ctx.faultsEnd) ctx.engine.at(ctx.engine.now + 100, cut)
        return
      }
      const groups = new Int32Array(ctx.size)
      groups[node] = 1
      ctx.faults.partition(groups, true, ctx.engine.now)
    }
    ctx.engine.at(3000, cut)
  }
}

const forgers: JobsScenario = {
  name: 'forgers',
  description: 'two members forge results, ends, grants, assignments and acknowledgements of every job, and a leader crashes',
  forgers: 2,
  workers: SPARED_BUILDER,
  inject: crashLeaders
}

const forgedTickets: JobsScenario = {
  name: 'forged-tickets',
  description: 'the leader of every job and a steal victim hand workers forged tickets: changed payloads and dependencies, units not in the job, units of another job',
  ticketForgers: true,
  inject: () => {}
}

const forgedResults: JobsScenario = {
  name: 'forged-results',
  description: 'the leader of every job tells its submitter of results of its own making: successes and failures in its workers\' names, real results of other units',
  resultForger: true,
  inject: () => {}
}

const hollowVictim: JobsScenario = {
  name: 'hollow-victim',
  description: 'deep worker queues, stragglers, and a node that claims a long queue but answers no steal: idle nodes must steal from the really busy',
  queueDepthPerSlot: 8,
  straggleShare: 0.05,
  jobs: 4,
  shape: { units: 150, cost: [100, 600], maxDeps: 1, window: 50 },
  hollowVictim: true,
  workers: STEALING,
  inject: () => {}
}

const stealingLiar: JobsScenario = {
  name: 'stealing-liar',
  description: 'deep worker queues and a node with no build slots that steals from every node, reports the units held and sends results it signed itself: no leader may take them',
  queueDepthPerSlot: 8,
  jobs: 4,
  shape: { units: 150, cost: [100, 600], maxDeps: 1, window: 50 },
  stealingLiar: true,
  inject: () => {}
}

export const JOBS_SCENARIOS: readonly JobsScenario[] = [steady, partition, leaderCrash, workerCrash, stragglers, stealStorm, lossy, leaderCutOff, forgers, forgedTickets, forgedResults, hollowVictim, stealingLiar]

export function jobsScenarioNamed (name: string): JobsScenario | undefined {
  return JOBS_SCENARIOS.find(s => s.name === name)
}
