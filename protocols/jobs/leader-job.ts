import type { Millis, PeerId } from '../core/index.js'
import { bottomLevels, topologicalOrder } from './dag.js'
import type { JobsMessage, UnitSpec, UnitTicket, WorkerSlots } from './messages.js'
import { ReadyQueue } from './ready-queue.js'
import { seemsLive } from './wire.js'
import { WorkerLoad } from './worker-load.js'
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
  /** Each unit's longest path to the end of the job (its own cost included). */
  private readonly levels: ReadonlyMap<string, number>
  private readonly workers = new Map<PeerId, WorkerLoad>()
  private readonly inFlight = new Set<string>()
  private readonly ranBy = new Map<string, PeerId>()
  /** `peer unit` -> when the worker's report first left out a unit it was given (see `onHeld`). */
  private readonly missingSince = new Map<string, Millis>()
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
    this.levels = levels
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
    const claims = grant.workers.filter(w => w.usPerCost > 0).map(w => w.usPerCost / 1000)
    if (claims.length > 0) this.msPerCost = claims.reduce((a, b) => a + b, 0) / claims.length
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
      worker.add(id, now)
      this.inFlight.add(id)
    }
    for (const id of [...worker.outstanding]) {
      const since = this.units.get(id)?.owners.get(from) ?? now
      if (held.has(id) || now - since <= this.ctx.config.assignGraceMs) {
        this.missingSince.delete(`${from} ${id}`)
        continue
      }
      // Left out: a thief may have it, and the thief's own report comes a hop later. Only a unit still
      // left out a report later (and that nobody else reports meanwhile) goes back to the queue.
      const missing = this.missingSince.get(`${from} ${id}`)
      if (missing === undefined) this.missingSince.set(`${from} ${id}`, now)
      else if (now - missing >= this.ctx.config.heldReportMs) this.release(from, id, now)
    }
    if (this.acting(now)) this.assignReady(now)
  }

  /** First result wins; a failure ends the job (the submitter reports it). */
  onResult (from: PeerId, unitId: string, ok: boolean, now: Millis): void {
    const unit = this.units.get(unitId)
    if (unit === undefined || unit.done) return
    const started = unit.owners.has(from) ? this.workers.get(from)?.remove(unitId, now) : undefined
    if (started !== undefined && unit.spec.cost > 0) this.measure(from, (now - started) / unit.spec.cost)
    unit.done = true
    this.remaining = ok ? this.remaining - 1 : 0
    this.ranBy.set(unitId, from)
    for (const owner of unit.owners.keys()) {
      this.workers.get(owner)?.remove(unitId, now)
      this.missingSince.delete(`${owner} ${unitId}`)
    }
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
    if (worker === undefined) return
    worker.msPerCost = worker.msPerCost === undefined || !worker.measured ? observed : worker.msPerCost + 0.3 * (observed - worker.msPerCost)
    worker.measured = true
  }

  private renewLease (now: Millis): void {
    this.lastLeaseSent = now
    this.ctx.wire.send(this.submitter, { type: 'lease', jobId: this.jobId, term: this.term, at: Math.floor(now) })
  }

  /** Bidders from the submitter; a worker's own speed claim stands until this job measures it. */
  private updateWorkers (list: readonly WorkerSlots[], now: Millis): void {
    for (const { peer, slots, usPerCost } of list) {
      let worker = this.workers.get(peer)
      if (worker === undefined) {
        worker = new WorkerLoad(slots, now)
        this.workers.set(peer, worker)
      }
      worker.slots = slots
      if (!worker.measured && usPerCost > 0) worker.msPerCost = usPerCost / 1000
    }
  }

  private workerOf (peer: PeerId, now: Millis): WorkerLoad {
    let worker = this.workers.get(peer)
    if (worker === undefined) {
      worker = new WorkerLoad(1, now)
      this.workers.set(peer, worker)
    }
    return worker
  }

  /** `peer` no longer holds `id`: with no other copy out, the unit is ready again. */
  private release (peer: PeerId, id: string, now: Millis): void {
    this.missingSince.delete(`${peer} ${id}`)
    this.workers.get(peer)?.remove(id, now)
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
        for (const id of [...worker.outstanding]) this.release(peer, id, now)
      }
    }
  }

  /**
   * Hands out ready units, most critical first, each where it would finish soonest. Units on the
   * critical frontier (within `criticalShare` of the longest remaining path) may queue behind a busy
   * fast worker; the rest only take free slots, so they never stand in a critical unit's way.
   */
  private assignReady (now: Millis): void {
    const batches = new Map<PeerId, UnitTicket[]>()
    const frontier = this.frontierLevel()
    while (this.ready.size > 0) {
      const id = this.ready.pop() as string
      // Queued when its last holder let go; a worker reporting it again, or its result, may have come since.
      if (!this.isReady(id)) continue
      const critical = (this.levels.get(id) ?? 0) >= this.ctx.config.criticalShare * frontier
      const peer = this.pickWorker(id, undefined, !critical, now)
      if (peer === undefined) {
        this.ready.push(id)
        break
      }
      this.handOut(peer, id, now, batches)
    }
    this.sendBatches(batches)
  }

  private isReady (id: string): boolean {
    const unit = this.units.get(id)
    return unit !== undefined && !unit.done && unit.owners.size === 0 && unit.waiting === 0
  }

  /** The longest remaining path among units ready or out. */
  private frontierLevel (): number {
    let level = 0
    for (const id of this.inFlight) level = Math.max(level, this.levels.get(id) ?? 0)
    const top = this.ready.peek()
    return top === undefined ? level : Math.max(level, this.levels.get(top) ?? 0)
  }

  private handOut (peer: PeerId, id: string, now: Millis, batches: Map<PeerId, UnitTicket[]>): void {
    const unit = this.units.get(id) as UnitState
    const worker = this.workers.get(peer) as WorkerLoad
    if (worker.outstanding.size === 0) worker.lastHeard = now
    worker.add(id, now)
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
   * The live worker where a unit would finish soonest, from its measured speed and what it holds
   * (room limited to free slots when `freeSlotOnly`); a worker that ran a dependency (its outputs
   * are in that node's cache) gets a tenth of the unit's run time as an edge.
   */
  private pickWorker (id: string, exclude: ReadonlyMap<PeerId, Millis> | undefined, freeSlotOnly: boolean, now: Millis): PeerId | undefined {
    const { dependsOn: deps, cost } = (this.units.get(id) as UnitState).spec
    const costOf = (unitId: string): number => this.units.get(unitId)?.spec.cost ?? 0
    let best: PeerId | undefined
    let bestScore = Infinity
    for (const [peer, worker] of this.workers) {
      if (now < worker.benchedUntil || exclude?.has(peer) === true || !seemsLive(this.ctx, peer)) continue
      const limit = freeSlotOnly ? worker.slots : worker.slots * (1 + this.ctx.config.queueDepthPerSlot)
      if (worker.outstanding.size >= limit) continue
      const speed = worker.msPerCost ?? this.msPerCost
      const edge = deps.some(dep => this.ranBy.get(dep) === peer) ? 0.1 * cost * speed : 0
      const score = worker.finishEstimate(cost, speed, costOf, now) - edge
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
      const owner = unit.owners.keys().next().value as PeerId
      const since = this.workers.get(owner)?.started.get(id)
      if (since === undefined || now - since <= speculationFactor * unit.spec.cost * this.msPerCost + speculationSlackMs) continue
      const peer = this.pickWorker(id, unit.owners, true, now)
      if (peer === undefined) break
      this.speculated++
      this.handOut(peer, id, now, batches)
    }
    this.sendBatches(batches)
  }
}
