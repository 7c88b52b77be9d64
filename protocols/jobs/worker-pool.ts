import type { Millis, PeerId } from '../core/index.js'
import type { WorkerSlots } from './messages.js'
import type { UnitState } from './unit-table.js'
import { seemsLive } from './wire.js'
import type { RoleContext } from './wire.js'
import { nextMsPerCost } from './run-speed.js'
import { WorkerLoad } from './worker-load.js'

const MS_PER_COST_WEIGHT = 0.1

/**
 * A leader's workers for one job: the bidders the submitter lists (units go to them only, and only their reports
 * and results are heard: see LeaderJob `onHeld`), how fast each is, and where a unit would finish soonest.
 */
export class WorkerPool {
  private readonly workers = new Map<PeerId, WorkerLoad>()
  /** Milliseconds per unit of cost over the job: the bidders' claims, then what this job measured. */
  msPerCost: number

  constructor (private readonly ctx: RoleContext, list: readonly WorkerSlots[], now: Millis) {
    this.msPerCost = ctx.config.initialMsPerCost
    this.update(list, now)
    const claims = list.filter(w => w.usPerCost > 0).map(w => w.usPerCost / 1000)
    if (claims.length > 0) this.msPerCost = claims.reduce((a, b) => a + b, 0) / claims.length
  }

  get (peer: PeerId): WorkerLoad | undefined { return this.workers.get(peer) }

  /** Bidders from the submitter; a worker's own speed claim stands until this job measures it. */
  update (list: readonly WorkerSlots[], now: Millis): void {
    for (const { peer, slots, usPerCost } of list) {
      const worker = this.workers.get(peer) ?? new WorkerLoad(slots, now)
      this.workers.set(peer, worker)
      worker.slots = slots
      if (!worker.measured && usPerCost > 0) worker.msPerCost = usPerCost / 1000
    }
  }

  /** A unit of this job ran `observed` ms per unit of cost on `peer`, from its start there to its result. */
  measure (peer: PeerId, observed: number): void {
    this.msPerCost += MS_PER_COST_WEIGHT * (observed - this.msPerCost)
    const worker = this.workers.get(peer)
    if (worker === undefined) return
    worker.msPerCost = nextMsPerCost(worker.measured ? worker.msPerCost : undefined, observed)
    worker.measured = true
  }

  /** Workers silent past `workerLeaseMs`, or dead in membership, are benched for that long and lose their units to `release`. */
  expire (now: Millis, release: (peer: PeerId, unitId: string) => void): void {
    for (const [peer, worker] of this.workers) {
      if (worker.outstanding.size === 0) continue
      if (now - worker.lastHeard > this.ctx.config.workerLeaseMs || !seemsLive(this.ctx, peer)) {
        worker.benchedUntil = now + this.ctx.config.workerLeaseMs
        for (const id of [...worker.outstanding]) release(peer, id)
      }
    }
  }

  /**
   * The live worker where `unit` would finish soonest, from its measured speed and what it holds
   * (room limited to free slots when `freeSlotOnly`); a worker that ran a dependency (its outputs
   * are in that node's cache) gets a tenth of the unit's run time as an edge. Passed over: benched workers,
   * workers that just gave this unit back unrun, and (`notOwners`) the unit's current holders.
   */
  pick (unit: UnitState, costOf: (unitId: string) => number, ranBy: ReadonlyMap<string, PeerId>, notOwners: boolean, freeSlotOnly: boolean, now: Millis): PeerId | undefined {
    const { dependsOn: deps, cost } = unit.spec
    let best: PeerId | undefined
    let bestScore = Infinity
    for (const [peer, worker] of this.workers) {
      if (now < worker.benchedUntil || (notOwners && unit.owners.has(peer)) || now < (unit.declined.get(peer) ?? 0) || !seemsLive(this.ctx, peer)) continue
      const limit = freeSlotOnly ? worker.slots : worker.slots * (1 + this.ctx.config.queueDepthPerSlot)
      if (worker.outstanding.size >= limit) continue
      const speed = worker.msPerCost ?? this.msPerCost
      const edge = deps.some(dep => ranBy.get(dep) === peer) ? 0.1 * cost * speed : 0
      const score = worker.finishEstimate(cost, speed, costOf, now) - edge
      if (score < bestScore || (score === bestScore && best !== undefined && peer < best)) {
        best = peer
        bestScore = score
      }
    }
    return best
  }
}
