import type { Millis, PeerId } from '../core/index.js'
import { UnitTree } from './commitment.js'
import type { JobCommitment, JobsMessage, UnitTicket } from './messages.js'
import { MissingUnits } from './missing-units.js'
import { ResultRelay } from './result-relay.js'
import { Assignments } from './ticket-batches.js'
import { MAX_NOT_RUN, UnitTable } from './unit-table.js'
import type { UnitState } from './unit-table.js'
import type { WorkerLoad } from './worker-load.js'
import { WorkerPool } from './worker-pool.js'
import { resultClaim, vouches, type RoleContext } from './wire.js'
import { LeaderLease } from './leader-lease.js'

export type Grant = Extract<JobsMessage, { type: 'grant' }>
type Result = Extract<JobsMessage, { type: 'result' }>

/**
 * One job led by this node for one term. It acts (hands out units) only while its lease is valid:
 * `leaseMs` from the send time of a lease request the submitter acknowledged. Ready units go out
 * most critical first (longest path to the end), each to the live worker where it would finish soonest.
 * Workers report the units they hold; a unit missing from its worker's report, or held by a worker
 * that went silent or died, goes back to the queue. A straggler gets one speculative copy on
 * another worker with a free slot; the first result wins. Results count only from the unit's workers
 * (see `counts`) and are passed on to the submitter, which takes them from its leaders only.
 * Every ticket carries the unit's Merkle proof against the root the submitter announced (the leader builds the same
 * tree from the granted units): workers run nothing else.
 */
export class LeaderJob {
  private readonly units: UnitTable
  /** The Merkle tree over the granted units, in the order granted (the submitter's): each ticket's proof. */
  private readonly tree: UnitTree
  /** Each unit's position in the grant: its leaf in `tree`. */
  private readonly indexOf = new Map<string, number>()
  private readonly workers: WorkerPool
  private readonly inFlight = new Set<string>()
  private readonly ranBy = new Map<string, PeerId>()
  /** Units workers' reports left out although they were given them, and since when (see `onHeld`). */
  private readonly missing = new MissingUnits()
  private readonly relay: ResultRelay
  private readonly lease: LeaderLease
  /**
   * Until then (one report period into a later term), a listed worker's report or result for a unit this term has not
   * handed out counts as its assignment: it got the unit in an earlier term. Workers report to a new leader as soon as
   * the submitter names it, before that leader can act, so what they hold (queued, running, or finished with the
   * result not yet recorded) stays with them.
   */
  private readonly adoptUntil: Millis
  /** Units handed out (speculative copies included), for reports. */
  assigned = 0
  speculated = 0

  /** `tree`: the Merkle tree over the granted units, if built already; `carried`: `unconfirmed` of this node's earlier term (done here too). */
  constructor (private readonly ctx: RoleContext, readonly jobId: string, readonly term: number, readonly submitter: PeerId, grant: Grant, now: Millis, tree?: UnitTree, carried: readonly Result[] = []) {
    this.units = new UnitTable(grant.units, grant.done)
    this.tree = tree ?? new UnitTree(ctx.sha256, grant.units)
    grant.units.forEach((u, i) => this.indexOf.set(u.id, i))
    this.relay = new ResultRelay(ctx, submitter)
    this.adoptUntil = term > 1 ? now + ctx.config.heldReportMs : -Infinity
    this.workers = new WorkerPool(ctx, grant.workers, now)
    this.lease = new LeaderLease(ctx, jobId, term, submitter, now)
    for (const m of carried) if (this.units.completeCarried(m.unitId, m.ok)) this.relay.send(m, now)
  }

  get remaining (): number { return this.units.remaining }
  /** Results taken and passed on that the submitter has not acknowledged: the grant of a later term does not count them done. */
  get unconfirmed (): Result[] { return this.relay.messages }

  /** What the granted units commit to (the submitter's announce said the same: see Leadership `onGrant`). */
  get commitment (): JobCommitment { return this.tree.commitment }

  acting (now: Millis): boolean {
    return this.lease.valid(now) && this.units.remaining > 0
  }

  /**
   * Forgotten once every result is in and passed on, or after `FORGET_AFTER_LEASES` lease periods without an
   * acknowledged lease request (see LeaderLease).
   */
  expired (now: Millis): boolean {
    return (this.units.remaining === 0 && this.relay.size === 0) || this.lease.lapsedLong(now)
  }

  onLeaseAck (m: Extract<JobsMessage, { type: 'lease-ack' }>, now: Millis): void {
    this.lease.acknowledged(m.at, now)
    this.workers.update(m.workers, now)
    // a late answer to an old request may leave the lease run out: a leader without a valid lease hands out nothing
    if (this.acting(now)) this.assignReady(now)
  }

  tick (now: Millis): void {
    this.relay.tick(now)
    // with every unit done, the lease is kept while a result is still on its way to the submitter: lapsed, the
    // submitter grants the next term, and this node forgets the job (its relay too) a few lease periods later
    if (this.units.remaining === 0 && this.relay.size === 0) return
    this.lease.renewIfDue(now)
    if (!this.acting(now)) return
    this.workers.expire(now, (peer, id) => { this.release(peer, id, now) })
    this.assignReady(now)
    if (this.ctx.config.speculation && this.units.ready.size === 0) this.speculate(now)
  }

  /** The submitter acknowledged a result passed on to it. */
  confirmed (unitId: string): void {
    this.relay.confirm(unitId)
  }

  /**
   * A listed worker's unit lease report (the submitter deposes a leader passing on a non-bidder's result): what it holds
   * now (queued, running, or finished with the result unrecorded) for this job. A unit it was given counts as held again;
   * one it took from a worker that holds it (a steal) makes it a holder too; early in a later term, one not handed out
   * yet is its assignment (`adoptUntil`). Units already done are acknowledged to it, so it drops them.
   */
  onHeld (from: PeerId, units: readonly string[], now: Millis): void {
    const worker = this.workers.get(from)
    if (worker === undefined) return
    worker.lastHeard = now
    worker.benchedUntil = 0
    const held = new Set(units)
    for (const id of held) {
      const unit = this.units.get(id)
      if (unit === undefined || unit.owners.has(from)) continue
      if (unit.done) this.ctx.wire.send(from, { type: 'result-ack', jobId: this.jobId, unitId: id })
      else if (unit.assignees.has(from) || (unit.waiting === 0 && (unit.owners.size > 0 || this.adopts(unit, worker, now)))) this.hold(unit, from, worker, now)
    }
    for (const id of [...worker.outstanding]) {
      const unit = this.units.get(id)
      if (held.has(id)) unit?.omittedBy.delete(from)
      else unit?.omittedBy.add(from)
      const since = unit?.owners.get(from) ?? now
      if (held.has(id) || now - since <= this.ctx.config.assignGraceMs) {
        this.missing.found(from, id)
        continue
      }
      // Left out: a thief may have it, and the thief's own report comes a hop later. Only a unit still
      // left out a report later (and that nobody else reports meanwhile) goes back to the queue.
      if (this.missing.leftOut(from, id, now, this.ctx.config.heldReportMs)) this.release(from, id, now)
    }
    if (this.acting(now)) this.assignReady(now)
  }

  /**
   * First result that counts wins; a failure ends the job (the submitter reports it); one from the submitter is recorded
   * there (see ToldLeader): done, not passed on. Returns whether to acknowledge it: it counted, or the unit is done.
   */
  onResult (from: PeerId, unitId: string, ok: boolean, now: Millis, summary = ''): boolean {
    const unit = this.units.get(unitId)
    if (unit === undefined) return false
    if (unit.done) return true
    const m: Result = { type: 'result', jobId: this.jobId, unitId, ok, summary }
    const relay = from !== this.submitter
    if (relay && (!this.counts(unit, from, now) || !vouches(this.ctx, from, resultClaim(m)))) return false
    this.complete(unit, from, m, now, relay)
    return true
  }

  /** Early in a later term, a leader takes a listed worker's word that it got a unit (that this term has not handed out) before. */
  private adopts (unit: UnitState, worker: WorkerLoad | undefined, now: Millis): boolean {
    return now < this.adoptUntil && worker !== undefined && unit.owners.size === 0 && unit.assignees.size === 0 && unit.waiting === 0
  }

  /**
   * A unit given back unrun goes to another worker. From a peer that does not hold it, a thief that will not run it
   * (see Worker `onStolen`): it is ready again at once if every holder's latest report left it out (they gave it away).
   * Returns whether its worker vouches for the reason: passed on, the submitter fails the job at the `MAX_NOT_RUN`th
   * over every term; the leader fails no unit for it. At this term's `MAX_NOT_RUN`th the unit rests (`workerLeaseMs`).
   */
  onNotRun (from: PeerId, unitId: string, reason: string, now: Millis): boolean {
    const unit = this.units.get(unitId)
    if (unit === undefined || unit.done) return false
    let vouched = false
    if (!unit.owners.has(from)) {
      const holders = [...unit.owners.keys()]
      if (holders.length === 0 || !holders.every(holder => unit.omittedBy.has(holder))) return false
      for (const holder of holders) this.release(holder, unitId, now)
    } else {
      vouched = vouches(this.ctx, from, { jobId: this.jobId, unitId, outcome: 'not-run', summary: reason })
      if (vouched && ++unit.notRun >= MAX_NOT_RUN) unit.restsUntil = now + this.ctx.config.workerLeaseMs
      unit.declined.set(from, now + this.ctx.config.workerLeaseMs)
      this.release(from, unitId, now)
    }
    if (this.acting(now)) this.assignReady(now)
    return vouched
  }

  /**
   * A result counts from this node's worker (its submitter records it from a leader anyway), a worker given the unit
   * (or adopted: see `adoptUntil`), or a listed thief once every holder the unit was given to has left it out of its
   * latest report: a peer that only claims to hold a unit another worker runs cannot finish it in that worker's place.
   */
  private counts (unit: UnitState, from: PeerId, now: Millis): boolean {
    if (from === this.ctx.self || unit.assignees.has(from) || this.adopts(unit, this.workers.get(from), now)) return true
    if (!unit.thieves.has(from) || this.workers.get(from) === undefined) return false
    for (const owner of unit.owners.keys()) if (unit.assignees.has(owner) && !unit.omittedBy.has(owner)) return false
    return true
  }

  private complete (unit: UnitState, from: PeerId, m: Result, now: Millis, relay = true): void {
    const id = unit.spec.id
    const started = unit.owners.has(from) ? this.workers.get(from)?.remove(id, now) : undefined
    if (started !== undefined && unit.spec.cost > 0 && m.ok) this.workers.measure(from, (now - started) / unit.spec.cost)
    this.ranBy.set(id, from)
    for (const owner of unit.owners.keys()) {
      this.workers.get(owner)?.remove(id, now)
      this.missing.found(owner, id)
    }
    unit.omittedBy.clear()
    this.units.complete(unit, m.ok)
    this.inFlight.delete(id)
    if (relay) this.relay.send(m, now)
    if (this.acting(now)) this.assignReady(now)
  }

  private hold (unit: UnitState, peer: PeerId, worker: WorkerLoad, now: Millis): void {
    if (unit.owners.size === 0 && this.adopts(unit, worker, now)) unit.assignees.add(peer)
    if (!unit.assignees.has(peer)) unit.thieves.add(peer)
    unit.omittedBy.delete(peer)
    unit.owners.set(peer, now)
    worker.add(unit.spec.id, now)
    this.inFlight.add(unit.spec.id)
  }

  /** `peer` no longer holds `id`: with no other copy out, the unit is ready again. */
  private release (peer: PeerId, id: string, now: Millis): void {
    this.missing.found(peer, id)
    this.workers.get(peer)?.remove(id, now)
    const unit = this.units.get(id)
    if (unit === undefined) return
    unit.owners.delete(peer)
    if (unit.done || unit.owners.size > 0) return
    this.inFlight.delete(id)
    if (unit.waiting === 0) this.units.ready.push(id)
    this.ctx.commands.push({ kind: 'requeued', jobId: this.jobId, unitId: id, from: peer })
  }

  /**
   * Hands out ready units, most critical first, each where it would finish soonest. Units on the
   * critical frontier (within `criticalShare` of the longest remaining path) may queue behind a busy
   * fast worker; the rest only take free slots, so they never stand in a critical unit's way. A unit that every
   * worker with room just gave back unrun (or that rests: see `onNotRun`) is set aside: it waits out those declines,
   * the units after it do not.
   */
  private assignReady (now: Millis): void {
    const batches = new Assignments()
    const frontier = this.units.frontierLevel(this.inFlight)
    const ready = this.units.ready
    const declined: string[] = []
    while (ready.size > 0) {
      const id = ready.pop() as string
      // Queued when its last holder let go; a worker reporting it again, or its result, may have come since.
      if (!this.units.isReady(id)) continue
      const critical = (this.units.levels.get(id) ?? 0) >= this.ctx.config.criticalShare * frontier
      const peer = this.units.rests(id, now) ? undefined : this.pickWorker(id, false, !critical, now)
      if (peer !== undefined) this.handOut(peer, id, now, batches)
      else if (this.units.declinedNow(id, now)) declined.push(id)
      else {
        ready.push(id)
        break
      }
    }
    for (const id of declined) ready.push(id)
    batches.send(this.ctx.wire)
  }

  private handOut (peer: PeerId, id: string, now: Millis, batches: Assignments): void {
    const unit = this.units.get(id) as UnitState
    const worker = this.workers.get(peer) as WorkerLoad
    if (worker.outstanding.size === 0) worker.lastHeard = now
    worker.add(id, now)
    unit.owners.set(peer, now)
    unit.assignees.add(peer)
    unit.omittedBy.delete(peer)
    this.inFlight.add(id)
    this.assigned++
    const index = this.indexOf.get(id) as number
    const { cost, payload, dependsOn } = unit.spec
    const ticket: UnitTicket = { jobId: this.jobId, unitId: id, submitter: this.submitter, leader: this.ctx.self, term: this.term, dependsOn, cost, payload, index, proof: this.tree.proof(index) }
    batches.add(peer, ticket)
  }

  private pickWorker (id: string, notOwners: boolean, freeSlotOnly: boolean, now: Millis): PeerId | undefined {
    return this.workers.pick(this.units.get(id) as UnitState, unitId => this.units.costOf(unitId), this.ranBy, notOwners, freeSlotOnly, now)
  }

  private speculate (now: Millis): void {
    const { speculationFactor, speculationSlackMs } = this.ctx.config
    const batches = new Assignments()
    for (const id of this.inFlight) {
      const unit = this.units.get(id) as UnitState
      if (unit.owners.size !== 1) continue
      const owner = unit.owners.keys().next().value as PeerId
      const since = this.workers.get(owner)?.started.get(id)
      if (since === undefined || now - since <= speculationFactor * unit.spec.cost * this.workers.msPerCost + speculationSlackMs) continue
      const peer = this.pickWorker(id, true, true, now)
      if (peer === undefined) break
      this.speculated++
      this.handOut(peer, id, now, batches)
    }
    batches.send(this.ctx.wire)
  }
}
