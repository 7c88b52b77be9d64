import type { Millis, PeerId } from '../core/index.js'
import type { TrustPolicy } from '../cache/trust.js'
import { Asks } from './asks.js'
import { verifyTicket } from './commitment.js'
import { GoneSubmitters } from './gone-submitters.js'
import type { JobBook } from './job-book.js'
import type { JobsMessage, UnitTicket } from './messages.js'
import { PendingResults, unitKey } from './pending-results.js'
import { nextMsPerCost, usPerCostOf } from './run-speed.js'
import { StealTargets } from './steal-targets.js'
import { UnitSlots } from './unit-slots.js'
import { knownLive } from './wire.js'
import type { RoleContext } from './wire.js'

/** How a unit run ended on this node: `not-run` means its setup failed here and it should run elsewhere. */
export type UnitOutcome = 'ok' | 'failed' | 'not-run'

/** What a worker makes of one ticket: run it (queue), leave it (not for this node now), or a forgery. */
type Admission = 'take' | 'skip' | 'forged'

/**
 * A node's build slots: a queue of unit tickets from leaders (or stolen from a neighbour), run up to
 * `slots` at a time through `runUnit` commands. Only a node with slots > 0 takes units, and only of
 * jobs it knows from their submitter's own messages (see `admits`), exactly as that submitter committed to
 * them (the ticket's Merkle proof against the root of its announce). Results go to the submitter and the
 * leader until the submitter acknowledges them. Every `heldReportMs` the worker tells each job's leader
 * which of its units it holds (the unit lease). Idle with stealing on, it asks the busiest live neighbour
 * (membership load) for half of its queue (see StealTargets for whom it passes over).
 */
export class Worker {
  private readonly units: UnitSlots
  private readonly pending: PendingResults
  private readonly goneSubmitters: GoneSubmitters
  /** Whether a ticket of a job not known here makes this node ask its submitter. */
  readonly asks: Asks
  private lastReport: Millis = -Infinity
  private nextStealAt: Millis = 0
  /** Whom to ask for work (and whom not): `stolen` is taken from the neighbour asked only. */
  private readonly stealTargets: StealTargets
  /** Jobs this node just gave units of to a thief: reported (even with nothing left) so their leaders see it let go. */
  private readonly gaveAway = new Set<string>()
  stolenIn = 0
  stolenOut = 0
  /** Tickets refused because they were not a unit as its submitter committed to it. */
  forgedTickets = 0
  /** Milliseconds per unit of cost of this node's own runs (a moving average), seeded by the hint. */
  private msPerCost: number | undefined

  constructor (private readonly ctx: RoleContext, readonly slots: number, private readonly trust: TrustPolicy, private readonly book: JobBook, speedHint?: number) {
    this.msPerCost = speedHint !== undefined && speedHint > 0 ? speedHint : undefined
    this.units = new UnitSlots(ctx.commands, slots)
    this.stealTargets = new StealTargets(ctx.self, ctx.config.stealBackoffMs)
    this.pending = new PendingResults(ctx)
    this.goneSubmitters = new GoneSubmitters(ctx)
    this.asks = new Asks(ctx, book)
  }

  /** How fast this node says it is in bids: microseconds per unit of cost, 0 while unknown. */
  usPerCost (): number { return usPerCostOf(this.msPerCost) }

  get runningCount (): number { return this.units.runningCount }
  get queuedCount (): number { return this.units.queuedCount }
  get busy (): boolean { return this.queuedCount > 0 || this.runningCount > 0 || this.pending.size > 0 }

  /** Whether this node bids for (and runs units of) a job from `submitter`: under "any member", one membership holds live. */
  accepts (submitter: PeerId): boolean {
    return this.slots > 0 && this.trust.maySubmit(submitter, peer => knownLive(this.ctx, peer))
  }

  /** `from` (the gossip's signed author) announced a job: bid if this node runs its builds. */
  onAnnounce (from: PeerId, m: Extract<JobsMessage, { type: 'announce' }>): void {
    if (!this.accepts(from) || !this.book.join(m.jobId, from, { units: m.units, root: m.root })) return
    this.ctx.wire.send(from, this.bid(m.jobId))
  }

  /**
   * The submitter `from` names the leader of a term: results waiting for the old leader go to the new one, and what
   * this node holds of the job is reported to it at once (before it can act: see LeaderJob `adoptUntil`).
   */
  onLeader (from: PeerId, m: Extract<JobsMessage, { type: 'leader' }>, now: Millis): void {
    if (!this.accepts(from)) return
    const job = this.book.confirm(from, m.jobId, m.term, m.leader, { units: m.units, root: m.root })
    if (job === undefined) return
    const units = this.heldUnits().get(m.jobId)
    if (units !== undefined) this.ctx.wire.send(m.leader, { type: 'held', jobId: m.jobId, term: m.term, units })
    this.pending.newLeader(m.jobId, m.term, m.leader, now)
  }

  /** The node stops: no unit starts here any more. */
  stop (): void { this.units.stop() }

  freeSlots (): number { return this.units.freeSlots() }

  /**
   * Tickets from `from`: assigned by a leader (`assigned`) or given by the neighbour this node stole from. Returns how
   * many were forged (not a unit as its submitter committed to it): none of those is queued, and the driver rejects
   * the message (penalising `from`).
   */
  take (from: PeerId, tickets: readonly UnitTicket[], assigned: boolean, now: Millis): number {
    return this.admit(from, tickets, assigned, now).forged
  }

  /** `take`, telling how many tickets were queued, how many forged, and which were left (see `admits`). */
  private admit (from: PeerId, tickets: readonly UnitTicket[], assigned: boolean, now: Millis): { taken: number, forged: number, skipped: UnitTicket[] } {
    let taken = 0
    let forged = 0
    const skipped: UnitTicket[] = []
    for (const ticket of tickets) {
      const admission = this.admits(from, ticket, assigned, now)
      if (admission === 'forged') forged++
      if (admission === 'skip') skipped.push(ticket)
      if (admission !== 'take' || this.holds(ticket)) continue
      this.units.enqueue(ticket)
      taken++
    }
    this.noteForged(from, forged)
    this.units.pump(now)
    return { taken, forged, skipped }
  }

  /**
   * A ticket is taken only for a job this node knows from its submitter (it bid on it), whose submitter it trusts,
   * from the leader that submitter named for the ticket's term; an assignment must come from that leader itself.
   * A ticket of a newer term than this node has heard of makes it ask the submitter who leads now (a bid; see Asks).
   * Then it must be one of the job's units exactly as the submitter committed to them (its Merkle proof against the
   * root the submitter announced or told this node): else it is forged, and never runs.
   */
  private admits (from: PeerId, ticket: UnitTicket, assigned: boolean, now: Millis): Admission {
    if (!this.accepts(ticket.submitter) || this.book.hasEnded(ticket.jobId)) return 'skip'
    if (assigned && ticket.leader !== from) return 'skip'
    const job = this.book.get(ticket.jobId)
    if (job !== undefined && job.submitter !== ticket.submitter) return 'skip'
    if (job === undefined || job.leader === undefined || ticket.term > job.term) {
      if (this.asks.allow(from, ticket, now)) this.ctx.wire.send(ticket.submitter, this.bid(ticket.jobId))
      return 'skip'
    }
    if (ticket.term !== job.term || ticket.leader !== job.leader) return 'skip'
    return verifyTicket(this.ctx.sha256, job.commitment, ticket) ? 'take' : 'forged'
  }

  /** The driver finished a unit (`runUnit` earlier): report it to the submitter and the leader, or give it back unrun. */
  finished (jobId: string, unitId: string, outcome: UnitOutcome, summary: string, now: Millis): void {
    const ran = this.units.finish(unitKey(jobId, unitId))
    if (ran === undefined) {
      // a cancelled run is over: its slot is free now
      this.units.pump(now)
      return
    }
    const { ticket } = ran
    const known = this.book.get(jobId)
    const [leader, term] = known?.leader === undefined ? [ticket.leader, ticket.term] : [known.leader, known.term]
    if (outcome === 'not-run') {
      this.ctx.wire.send(leader, { type: 'not-run', jobId, unitId, reason: summary })
    } else {
      const ms = now - ran.startedAt
      if (ticket.cost > 0 && ms > 0) this.msPerCost = nextMsPerCost(this.msPerCost, ms / ticket.cost)
      this.pending.send({ type: 'result', jobId, unitId, ok: outcome === 'ok', summary }, ticket.submitter, leader, term, now)
    }
    this.units.pump(now)
  }

  /**
   * The submitter's acknowledgement ends a pending result (it is recorded); the leader's stops sending it the result.
   * From the job's submitter or leader, it also means the unit is done: a copy still queued here is dropped.
   */
  onResultAck (from: PeerId, m: Extract<JobsMessage, { type: 'result-ack' }>): void {
    this.pending.acknowledged(from, m.jobId, m.unitId)
    const job = this.book.get(m.jobId)
    if (job !== undefined && (from === job.submitter || from === job.leader)) this.units.dropQueued(m.jobId, m.unitId)
  }

  /** The job's submitter says it is over: drop its queued units and unsent results, and cancel the ones running here. */
  onEnded (from: PeerId, jobId: string, now: Millis): void {
    if (this.book.end(from, jobId)) this.dropJob(jobId, now)
  }

  private dropJob (jobId: string, now: Millis): void {
    this.units.dropJob(jobId)
    this.pending.dropJob(jobId)
    this.units.pump(now)
  }

  /** Gives up the jobs whose submitter is gone (see GoneSubmitters) as if they had ended; a ticket of one later asks it again. */
  private giveUpGone (now: Millis): void {
    const submitterOf = new Map<string, PeerId>()
    for (const t of this.units.tickets()) submitterOf.set(t.jobId, t.submitter)
    for (const { message, submitter } of this.pending.waiting()) submitterOf.set(message.jobId, submitter)
    const gone = new Set(this.goneSubmitters.gone(new Set(submitterOf.values()), now))
    if (gone.size === 0) return
    for (const [jobId, submitter] of submitterOf) if (gone.has(submitter)) this.dropJob(jobId, now)
  }

  /**
   * A thief asks for work: give it the newer half of the queue (one message's worth at most), and tell the leaders
   * at once what is left here, so a thief's result counts as soon as it comes (see LeaderJob `counts`).
   */
  onSteal (from: PeerId, want: number, now: Millis): void {
    const tickets = this.units.giveNewest(want)
    if (tickets.length === 0) {
      // nothing to give (the queue ran short since the load the thief saw): say so, and it asks another at once
      this.ctx.wire.send(from, { type: 'stolen', tickets: [] })
      return
    }
    for (const t of tickets) this.gaveAway.add(t.jobId)
    this.stolenOut += tickets.length
    this.ctx.wire.send(from, { type: 'stolen', tickets })
    this.report(now)
  }

  /**
   * Stolen tickets arrive from the neighbour this node asked: run them and tell their leaders at once that they moved
   * here. Returns how many were forged (see `take`): a neighbour that gave any is not asked again for `SHUN_FORGER_MS`.
   * Tickets this node leaves (see `admits`: a submitter it does not trust, a term it has not heard of) go back to their
   * leader at once (`not-run`) instead of waiting out the unit lease, and only tickets it takes count: one that gave
   * none it takes is passed over as if it gave nothing (see StealTargets). A late answer (after the thief stopped
   * waiting for it, see StealTargets `lateAnswer`) goes back whole, unrun: its victim let go of the units, but their
   * leader may have handed them out again meanwhile, and running them here too would run them twice; given back, they
   * are ready again at once if nobody holds them. An answer to no request of this node is ignored.
   */
  onStolen (from: PeerId, tickets: readonly UnitTicket[], now: Millis): number {
    const awaited = this.stealTargets.awaits(from)
    if (!awaited && !this.stealTargets.lateAnswer(from, now)) return 0
    const { taken, forged, skipped } = awaited ? this.admit(from, tickets, false, now) : this.refuseLate(from, tickets, now)
    if (awaited) this.stealTargets.answered(from, taken, now)
    if (forged > 0) this.stealTargets.shun(from, now)
    this.stolenIn += taken
    for (const { jobId, unitId, leader } of skipped) {
      this.ctx.wire.send(this.book.get(jobId)?.leader ?? leader, { type: 'not-run', jobId, unitId, reason: 'stolen by a node that does not run it' })
    }
    if (tickets.length > 0) this.report(now)
    return forged
  }

  /** A late steal answer's tickets: none taken; the genuine ones go back, but those held here again since (they run here). */
  private refuseLate (from: PeerId, tickets: readonly UnitTicket[], now: Millis): { taken: number, forged: number, skipped: UnitTicket[] } {
    const genuine = tickets.filter(ticket => this.admits(from, ticket, false, now) !== 'forged')
    const forged = tickets.length - genuine.length
    this.noteForged(from, forged)
    return { taken: 0, forged, skipped: genuine.filter(t => !this.holds(t)) }
  }

  /** `from` gave `forged` tickets that fail their proof (none: nothing to note). */
  private noteForged (from: PeerId, forged: number): void {
    if (forged === 0) return
    this.forgedTickets += forged
    this.ctx.commands.push({ kind: 'forgedTickets', from, tickets: forged })
  }

  /** Whether this node holds the ticket's unit: queued, running, or finished with its result not yet recorded. */
  private holds (ticket: UnitTicket): boolean {
    const k = unitKey(ticket.jobId, ticket.unitId)
    return this.units.holds(k) || this.pending.has(k)
  }

  tick (now: Millis): void {
    if (now >= this.lastReport + this.ctx.config.heldReportMs) {
      this.giveUpGone(now)
      this.report(now)
    }
    this.pending.tick(now)
    if (this.ctx.config.stealing && this.slots > 0 && this.queuedCount === 0 && this.runningCount < this.slots && now >= this.nextStealAt) this.steal(now)
  }

  private bid (jobId: string): Extract<JobsMessage, { type: 'bid' }> {
    return { type: 'bid', jobId, slots: this.slots, free: this.freeSlots(), usPerCost: this.usPerCost() }
  }

  /**
   * Unit leases: to each job's leader, the units of that job held here: queued, running, or finished with the result
   * not yet recorded (a new leader keeps those here); none, for a job whose last units were stolen.
   */
  private report (now: Millis): void {
    this.lastReport = now
    const held = this.heldUnits()
    for (const jobId of this.gaveAway) if (!held.has(jobId)) held.set(jobId, [])
    this.gaveAway.clear()
    for (const [jobId, units] of held) {
      const job = this.book.get(jobId)
      if (job?.leader !== undefined) this.ctx.wire.send(job.leader, { type: 'held', jobId, term: job.term, units })
    }
  }

  /** Per job, the units held here: queued, running, or finished with the result not yet recorded. */
  private heldUnits (): Map<string, string[]> {
    const held = new Map<string, string[]>()
    const add = (jobId: string, unitId: string): void => { (held.get(jobId) ?? held.set(jobId, []).get(jobId) as string[]).push(unitId) }
    for (const t of this.units.tickets()) add(t.jobId, t.unitId)
    for (const { message } of this.pending.waiting()) add(message.jobId, message.unitId)
    return held
  }

  private steal (now: Millis): void {
    this.nextStealAt = now + this.ctx.config.stealBackoffMs
    const view = this.ctx.view
    if (view === undefined) return
    const victim = this.stealTargets.next(view, now)
    if (victim === undefined) return
    this.ctx.wire.send(victim, { type: 'steal', want: this.slots * (1 + this.ctx.config.queueDepthPerSlot) - this.runningCount })
  }
}
