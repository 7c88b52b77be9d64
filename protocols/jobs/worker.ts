import type { Millis, PeerId } from '../core/index.js'
import type { TrustPolicy } from '../cache/trust.js'
import type { JobsMessage, UnitTicket } from './messages.js'
import type { RoleContext } from './wire.js'

interface PendingResult {
  readonly message: Extract<JobsMessage, { type: 'result' }>
  /** Who has not acknowledged it yet (submitter, leader). */
  readonly waiting: Set<PeerId>
  lastSent: Millis
}

const key = (jobId: string, unitId: string): string => `${jobId}\u0000${unitId}`

/**
 * A node's build slots: a queue of unit tickets from leaders (or stolen from a neighbour), run up to
 * `slots` at a time through `runUnit` commands. Only a node with slots > 0 takes units, and only of
 * jobs whose submitter the trust policy admits. Results go to the submitter and the leader until each
 * acknowledges them. Every `heldReportMs` the worker tells each job's leader which of its units it
 * holds (the unit lease). Idle with stealing on, it asks the busiest live neighbour (membership
 * load) for half of its queue.
 */
export class Worker {
  private readonly queue: UnitTicket[] = []
  private readonly queued = new Set<string>()
  private readonly running = new Map<string, UnitTicket>()
  private readonly pending = new Map<string, PendingResult>()
  /** Per job: the newest leader and term seen on a ticket. */
  private readonly leaders = new Map<string, { leader: PeerId, term: number }>()
  private readonly endedJobs = new Set<string>()
  private lastReport: Millis = -Infinity
  private nextStealAt: Millis = 0
  stolenIn = 0
  stolenOut = 0

  /** Milliseconds per unit of cost of this node's own runs (a moving average), seeded by the hint. */
  private msPerCost: number | undefined
  /** When each running unit started here. */
  private readonly startedAt = new Map<string, Millis>()

  constructor (private readonly ctx: RoleContext, readonly slots: number, private readonly trust: TrustPolicy, speedHint?: number) {
    this.msPerCost = speedHint !== undefined && speedHint > 0 ? speedHint : undefined
  }

  /** How fast this node says it is in bids: microseconds per unit of cost, 0 while unknown. */
  usPerCost (): number {
    return this.msPerCost === undefined ? 0 : Math.min(1_000_000_000, Math.max(1, Math.round(this.msPerCost * 1000)))
  }

  get runningCount (): number { return this.running.size }
  get queuedCount (): number { return this.queue.length }
  get busy (): boolean { return this.queue.length > 0 || this.running.size > 0 || this.pending.size > 0 }

  /** Whether this node bids for (and runs units of) a job from `submitter`. */
  accepts (submitter: PeerId): boolean {
    return this.slots > 0 && this.trust.maySubmit(submitter)
  }

  onAnnounce (from: PeerId, m: Extract<JobsMessage, { type: 'announce' }>): void {
    if (!this.accepts(from) || this.endedJobs.has(m.jobId)) return
    this.ctx.wire.send(from, { type: 'bid', jobId: m.jobId, slots: this.slots, free: this.freeSlots(), usPerCost: this.usPerCost() })
  }

  freeSlots (): number {
    return Math.max(0, this.slots - this.running.size - this.queue.length)
  }

  /** Takes tickets (assigned or stolen); refuses untrusted submitters, ended jobs and duplicates. */
  take (tickets: readonly UnitTicket[], now: Millis): void {
    for (const ticket of tickets) {
      if (!this.accepts(ticket.submitter) || this.endedJobs.has(ticket.jobId)) continue
      const known = this.leaders.get(ticket.jobId)
      if (known === undefined || ticket.term > known.term) this.leaders.set(ticket.jobId, { leader: ticket.leader, term: ticket.term })
      const k = key(ticket.jobId, ticket.unitId)
      if (this.queued.has(k) || this.running.has(k) || this.pending.has(k)) continue
      this.queued.add(k)
      this.queue.push(ticket)
    }
    this.pump(now)
  }

  /** The driver finished a unit (`runUnit` earlier): report it to the submitter and the leader. */
  finished (jobId: string, unitId: string, ok: boolean, summary: string, now: Millis): void {
    const k = key(jobId, unitId)
    const ticket = this.running.get(k)
    if (ticket === undefined) return
    this.running.delete(k)
    this.measure(ticket.cost, now - (this.startedAt.get(k) ?? now))
    this.startedAt.delete(k)
    const leader = this.leaders.get(jobId)?.leader ?? ticket.leader
    const message = { type: 'result', jobId, unitId, ok, summary } as const
    const entry: PendingResult = { message, waiting: new Set([ticket.submitter, leader]), lastSent: now }
    this.pending.set(k, entry)
    for (const peer of entry.waiting) this.ctx.wire.send(peer, message)
    this.pump(now)
  }

  onResultAck (from: PeerId, m: Extract<JobsMessage, { type: 'result-ack' }>): void {
    const k = key(m.jobId, m.unitId)
    const entry = this.pending.get(k)
    if (entry === undefined) return
    entry.waiting.delete(from)
    // The submitter's acknowledgement is the one that matters: the result is recorded.
    if (entry.waiting.size === 0 || from !== this.leaders.get(m.jobId)?.leader) this.pending.delete(k)
  }

  /** The job is over: drop its queued units and unsent results, and cancel the ones running here. */
  onEnded (jobId: string, now: Millis): void {
    this.endedJobs.add(jobId)
    this.leaders.delete(jobId)
    for (const [k, ticket] of this.running) {
      if (ticket.jobId !== jobId) continue
      this.running.delete(k)
      this.startedAt.delete(k)
      this.ctx.commands.push({ kind: 'cancelUnit', jobId, unitId: ticket.unitId })
    }
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const ticket = this.queue[i] as UnitTicket
      if (ticket.jobId !== jobId) continue
      this.queue.splice(i, 1)
      this.queued.delete(key(ticket.jobId, ticket.unitId))
    }
    for (const [k, entry] of this.pending) if (entry.message.jobId === jobId) this.pending.delete(k)
    this.pump(now)
  }

  /** A thief asks for work: give it the newer half of the queue. */
  onSteal (from: PeerId, want: number): void {
    const give = Math.min(want, Math.floor(this.queue.length / 2))
    if (give <= 0) return
    const tickets = this.queue.splice(this.queue.length - give, give)
    for (const t of tickets) this.queued.delete(key(t.jobId, t.unitId))
    this.stolenOut += tickets.length
    this.ctx.wire.send(from, { type: 'stolen', tickets })
  }

  /** Stolen tickets arrive: run them and tell their leaders at once that they moved here. */
  onStolen (tickets: readonly UnitTicket[], now: Millis): void {
    this.stolenIn += tickets.length
    this.take(tickets, now)
    this.report(now)
  }

  tick (now: Millis): void {
    if (now >= this.lastReport + this.ctx.config.heldReportMs) this.report(now)
    for (const entry of this.pending.values()) {
      if (now < entry.lastSent + this.ctx.config.resultRetryMs) continue
      entry.lastSent = now
      for (const peer of entry.waiting) this.ctx.wire.send(peer, entry.message)
    }
    if (this.ctx.config.stealing && this.slots > 0 && this.queue.length === 0 && this.running.size < this.slots && now >= this.nextStealAt) this.steal(now)
  }

  private measure (cost: number, ms: number): void {
    if (cost <= 0 || ms <= 0) return
    const observed = ms / cost
    this.msPerCost = this.msPerCost === undefined ? observed : this.msPerCost + 0.3 * (observed - this.msPerCost)
  }

  private pump (now: Millis): void {
    while (this.running.size < this.slots && this.queue.length > 0) {
      const ticket = this.queue.shift() as UnitTicket
      const k = key(ticket.jobId, ticket.unitId)
      this.queued.delete(k)
      this.running.set(k, ticket)
      this.startedAt.set(k, now)
      this.ctx.commands.push({ kind: 'runUnit', jobId: ticket.jobId, unitId: ticket.unitId, payload: ticket.payload, submitter: ticket.submitter })
    }
  }

  /** Unit leases: to each job's leader, the units of that job held here. */
  private report (now: Millis): void {
    this.lastReport = now
    const held = new Map<string, string[]>()
    for (const t of this.queue) (held.get(t.jobId) ?? held.set(t.jobId, []).get(t.jobId) as string[]).push(t.unitId)
    for (const t of this.running.values()) (held.get(t.jobId) ?? held.set(t.jobId, []).get(t.jobId) as string[]).push(t.unitId)
    for (const [jobId, units] of held) {
      const lead = this.leaders.get(jobId)
      if (lead !== undefined) this.ctx.wire.send(lead.leader, { type: 'held', jobId, term: lead.term, units })
    }
  }

  private steal (now: Millis): void {
    this.nextStealAt = now + this.ctx.config.stealBackoffMs
    const view = this.ctx.view
    if (view === undefined) return
    const victim = view.busiest(1).find(m => m.load.queued >= 2 && m.peer !== this.ctx.self)
    if (victim !== undefined) this.ctx.wire.send(victim.peer, { type: 'steal', want: this.slots * (1 + this.ctx.config.queueDepthPerSlot) - this.running.size })
  }
}
