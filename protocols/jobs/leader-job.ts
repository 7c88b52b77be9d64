import type { Millis, PeerId } from '../core/index.js'
import { bottomLevels, topologicalOrder } from './dag.js'
import type { JobsMessage, UnitSpec, UnitTicket, WorkerSlots } from './messages.js'
import { ReadyQueue } from './ready-queue.js'
import { seemsLive } from './wire.js'
import type { RoleContext } from './wire.js'

interface UnitState {
  readonly spec: UnitSpec
  /** Dependencies without a result yet. */
  waiting: number
  readonly dependants: string[]
  done: boolean
  /** Workers holding a copy (two while speculating), with when they got it. */
  readonly owners: Map<PeerId, Millis>
}

interface WorkerState {
  slots: number
  readonly outstanding: Set<string>
  lastHeard: Millis
  /** Observed milliseconds per unit of cost on this worker (assignment to result), once measured. */
  msPerCost: number | undefined
  /** Lost its units for silence: gets no more until it reports again or this time passes. */
  benchedUntil: Millis
}

export type Grant = Extract<JobsMessage, { type: 'grant' }>

const MS_PER_COST_WEIGHT = 0.1

/**
 * One job led by this node for one term. It acts (hands out units) only while its lease is valid:
 * `leaseMs` from the send time of a lease request the submitter acknowledged. Ready units go out
 * most critical first (longest path to the end), each to the live worker with the most free room,
 * a worker that ran one of its dependencies winning ties (its outputs are in that node's cache).
 * Workers report the units they hold; a unit missing from its worker's report, or held by a worker
 * that went silent or died, goes back to the queue. A straggler gets one speculative copy on
 * another worker with a free slot; the first result wins.
 */
export class LeaderJob {
  private readonly units = new Map<string, UnitState>()
  private readonly ready: ReadyQueue
  private readonly workers = new Map<PeerId, WorkerState>()
  private readonly inFlight = new Set<string>()
  private readonly ranBy = new Map<string, PeerId>()
  private leaseUntil = -Infinity
  private lastLeaseSent = -Infinity
  private msPerCost: number
  remaining = 0
  /** Units handed out (speculative copies included), for reports. */
  assigned = 0
  speculated = 0

  constructor (private readonly ctx: RoleContext, readonly jobId: string, readonly term: number, readonly submitter: PeerId, grant: Grant, now: Millis) {
    this.msPerCost = ctx.config.initialMsPerCost
    const order = topologicalOrder(grant.units)
    const levels = bottomLevels(order)
    this.ready = new ReadyQueue(id => levels.get(id) ?? 0)
    const done = new Set(grant.done)
    for (const spec of order) this.units.set(spec.id, { spec, waiting: 0, dependants: [], done: done.has(spec.id), owners: new Map() })
    for (const unit of this.units.values()) {
      if (!unit.done) this.remaining++
      for (const dep of unit.spec.dependsOn) {
        const parent = this.units.get(dep) as UnitState
        parent.dependants.push(unit.spec.id)
        if (!parent.done) unit.waiting++
      }
    }
    for (const unit of this.units.values()) if (!unit.done && unit.waiting === 0) this.ready.push(unit.spec.id)
    this.updateWorkers(grant.workers, now)
    this.renewLease(now)
  }

  acting (now: Millis): boolean {
    return now < this.leaseUntil && this.remaining > 0
  }

  /** Past its lease by this long, the job is forgotten (a newer term leads it, or it is over). */
  expired (now: Millis): boolean {
    return this.remaining === 0 || now > Math.max(this.leaseUntil, this.lastLeaseSent) + 3 * this.ctx.config.leaseMs
  }

  onLeaseAck (m: Extract<JobsMessage, { type: 'lease-ack' }>, now: Millis): void {
    this.leaseUntil = Math.max(this.leaseUntil, m.at + this.ctx.config.leaseMs)
    this.updateWorkers(m.workers, now)
    this.assignReady(now)
  }

  tick (now: Millis): void {
    if (now >= this.lastLeaseSent + this.ctx.config.leaseRenewMs) this.renewLease(now)
    if (!this.acting(now)) return
    this.expireWorkers(now)
    this.assignReady(now)
    if (this.ctx.config.speculation && this.ready.size === 0) this.speculate(now)
  }

  /** A worker's unit lease report: what it holds now (queued or running) for this job. */
  onHeld (from: PeerId, units: readonly string[], now: Millis): void {
    const worker = this.workerOf(from, now)
    worker.lastHeard = now
    worker.benchedUntil = 0
    const held = new Set(units)
    for (const id of held) {
      const unit = this.units.get(id)
      if (unit === undefined || unit.done || unit.owners.has(from)) continue
      unit.owners.set(from, now)
      worker.outstanding.add(id)
      this.inFlight.add(id)
    }
    for (const id of [...worker.outstanding]) {
      const since = this.units.get(id)?.owners.get(from) ?? now
      if (!held.has(id) && now - since > this.ctx.config.assignGraceMs) this.release(from, id)
    }
    if (this.acting(now)) this.assignReady(now)
  }

  /** First result wins; a failure ends the job (the submitter reports it). */
  onResult (from: PeerId, unitId: string, ok: boolean, now: Millis): void {
    const unit = this.units.get(unitId)
    if (unit === undefined || unit.done) return
    const since = unit.owners.get(from)
    if (since !== undefined && unit.spec.cost > 0) this.measure(from, (now - since) / unit.spec.cost)
    unit.done = true
    this.remaining = ok ? this.remaining - 1 : 0
    this.ranBy.set(unitId, from)
    for (const owner of unit.owners.keys()) this.workers.get(owner)?.outstanding.delete(unitId)
    unit.owners.clear()
    this.inFlight.delete(unitId)
    for (const next of unit.dependants) {
      const child = this.units.get(next) as UnitState
      if (--child.waiting === 0 && !child.done) this.ready.push(next)
    }
    if (this.acting(now)) this.assignReady(now)
  }

  private measure (peer: PeerId, observed: number): void {
    this.msPerCost += MS_PER_COST_WEIGHT * (observed - this.msPerCost)
    const worker = this.workers.get(peer)
    if (worker !== undefined) worker.msPerCost = worker.msPerCost === undefined ? observed : worker.msPerCost + 0.3 * (observed - worker.msPerCost)
  }

  private renewLease (now: Millis): void {
    this.lastLeaseSent = now
    this.ctx.wire.send(this.submitter, { type: 'lease', jobId: this.jobId, term: this.term, at: Math.floor(now) })
  }

  private updateWorkers (list: readonly WorkerSlots[], now: Millis): void {
    for (const { peer, slots } of list) {
      const worker = this.workers.get(peer)
      if (worker === undefined) this.workers.set(peer, { slots, outstanding: new Set(), lastHeard: now, benchedUntil: 0, msPerCost: undefined })
      else worker.slots = slots
    }
  }

  private workerOf (peer: PeerId, now: Millis): WorkerState {
    let worker = this.workers.get(peer)
    if (worker === undefined) {
      worker = { slots: 1, outstanding: new Set(), lastHeard: now, benchedUntil: 0, msPerCost: undefined }
      this.workers.set(peer, worker)
    }
    return worker
  }

  /** `peer` no longer holds `id`: with no other copy out, the unit is ready again. */
  private release (peer: PeerId, id: string): void {
    this.workers.get(peer)?.outstanding.delete(id)
    const unit = this.units.get(id)
    if (unit === undefined) return
    unit.owners.delete(peer)
    if (unit.done || unit.owners.size > 0) return
    this.inFlight.delete(id)
    if (unit.waiting === 0) this.ready.push(id)
    this.ctx.commands.push({ kind: 'requeued', jobId: this.jobId, unitId: id, from: peer })
  }

  private expireWorkers (now: Millis): void {
    for (const [peer, worker] of this.workers) {
      if (worker.outstanding.size === 0) continue
      if (now - worker.lastHeard > this.ctx.config.workerLeaseMs || !seemsLive(this.ctx, peer)) {
        worker.benchedUntil = now + this.ctx.config.workerLeaseMs
        for (const id of [...worker.outstanding]) this.release(peer, id)
      }
    }
  }

  private assignReady (now: Millis): void {
    const batches = new Map<PeerId, UnitTicket[]>()
    while (this.ready.size > 0) {
      const id = this.ready.pop() as string
      const peer = this.pickWorker(id, undefined, false, now)
      if (peer === undefined) {
        this.ready.push(id)
        break
      }
      this.handOut(peer, id, now, batches)
    }
    this.sendBatches(batches)
  }

  private handOut (peer: PeerId, id: string, now: Millis, batches: Map<PeerId, UnitTicket[]>): void {
    const unit = this.units.get(id) as UnitState
    const worker = this.workers.get(peer) as WorkerState
    if (worker.outstanding.size === 0) worker.lastHeard = now
    worker.outstanding.add(id)
    unit.owners.set(peer, now)
    this.inFlight.add(id)
    this.assigned++
    const ticket: UnitTicket = { jobId: this.jobId, unitId: id, submitter: this.submitter, leader: this.ctx.self, term: this.term, cost: unit.spec.cost, payload: unit.spec.payload }
    const batch = batches.get(peer)
    if (batch === undefined) batches.set(peer, [ticket])
    else batch.push(ticket)
  }

  private sendBatches (batches: Map<PeerId, UnitTicket[]>): void {
    for (const [peer, tickets] of batches) this.ctx.wire.send(peer, { type: 'assign', tickets })
  }

  /**
   * The live worker where a unit would finish soonest: its measured speed times how full it is
   * (room limited to free slots when `freeSlotOnly`); a worker that ran a dependency gets a 10% edge.
   */
  private pickWorker (id: string, exclude: ReadonlyMap<PeerId, Millis> | undefined, freeSlotOnly: boolean, now: Millis): PeerId | undefined {
    const deps = (this.units.get(id) as UnitState).spec.dependsOn
    let best: PeerId | undefined
    let bestScore = Infinity
    for (const [peer, worker] of this.workers) {
      if (now < worker.benchedUntil || exclude?.has(peer) === true || !seemsLive(this.ctx, peer)) continue
      const limit = freeSlotOnly ? worker.slots : worker.slots * (1 + this.ctx.config.queueDepthPerSlot)
      if (worker.outstanding.size >= limit) continue
      const local = deps.some(dep => this.ranBy.get(dep) === peer) ? 0.9 : 1
      const score = (worker.msPerCost ?? this.msPerCost) * (1 + worker.outstanding.size / worker.slots) * local
      if (score < bestScore || (score === bestScore && best !== undefined && peer < best)) {
        best = peer
        bestScore = score
      }
    }
    return best
  }

  private speculate (now: Millis): void {
    const { speculationFactor, speculationSlackMs } = this.ctx.config
    const batches = new Map<PeerId, UnitTicket[]>()
    for (const id of this.inFlight) {
      const unit = this.units.get(id) as UnitState
      if (unit.owners.size !== 1) continue
      const since = unit.owners.values().next().value as Millis
      if (now - since <= speculationFactor * unit.spec.cost * this.msPerCost + speculationSlackMs) continue
      const peer = this.pickWorker(id, unit.owners, true, now)
      if (peer === undefined) break
      this.speculated++
      this.handOut(peer, id, now, batches)
    }
    this.sendBatches(batches)
  }
}
