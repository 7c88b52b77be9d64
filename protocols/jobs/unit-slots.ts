import type { Millis } from '../core/index.js'
import type { JobsCommandQueue } from './commands.js'
import type { UnitTicket } from './messages.js'
import { unitKey } from './pending-results.js'
import { MAX_TICKETS_PER_MESSAGE, ticketBatches } from './ticket-batches.js'

/** A unit running here: its ticket and when it started. */
export interface RunningUnit {
  readonly ticket: UnitTicket
  readonly startedAt: Millis
}

/**
 * A worker's build slots: the queue of tickets it took, run in order up to `slots` at a time (each start is a
 * `runUnit` command to the driver), and the units running now. A unit cancelled while it runs (its job ended) keeps
 * its slot until the driver reports its run over: a killed Gradle takes a while to exit, and the next unit must not
 * run beside it past the node's slots.
 */
export class UnitSlots {
  private readonly queue: UnitTicket[] = []
  private readonly queued = new Set<string>()
  private readonly running = new Map<string, RunningUnit>()
  /** Units cancelled while running, whose run the driver has not reported over yet. */
  private readonly cancelling = new Set<string>()
  /** Set when the node stops: nothing starts any more (the driver is aborting what runs). */
  private stopped = false

  constructor (private readonly commands: JobsCommandQueue, readonly slots: number) {}

  /** Slots taken: units running, and cancelled ones still exiting. */
  get runningCount (): number { return this.running.size + this.cancelling.size }
  get queuedCount (): number { return this.queue.length }

  /** Slots neither taken nor promised to a queued unit. */
  freeSlots (): number {
    return Math.max(0, this.slots - this.runningCount - this.queue.length)
  }

  /** Whether the unit keyed `key` (see `unitKey`) is queued or running here (a cancelled run still exiting too). */
  holds (key: string): boolean {
    return this.queued.has(key) || this.running.has(key) || this.cancelling.has(key)
  }

  /** Every ticket held: queued (in order), then running. */
  * tickets (): Generator<UnitTicket> {
    yield * this.queue
    for (const unit of this.running.values()) yield unit.ticket
  }

  enqueue (ticket: UnitTicket): void {
    this.queued.add(unitKey(ticket.jobId, ticket.unitId))
    this.queue.push(ticket)
  }

  /** Nothing starts from now on: the node is stopping (a unit that finishes meanwhile must not start the next). */
  stop (): void {
    this.stopped = true
  }

  /** Starts queued units while slots are free. */
  pump (now: Millis): void {
    while (!this.stopped && this.runningCount < this.slots && this.queue.length > 0) {
      const ticket = this.queue.shift() as UnitTicket
      const k = unitKey(ticket.jobId, ticket.unitId)
      this.queued.delete(k)
      this.running.set(k, { ticket, startedAt: now })
      const { jobId, unitId, payload, submitter, cost, dependsOn } = ticket
      this.commands.push({ kind: 'runUnit', jobId, unitId, payload, submitter, cost, dependsOn })
    }
  }

  /** The run of the unit keyed `key` ended: what ran, or undefined if it was not running here (or was cancelled). */
  finish (key: string): RunningUnit | undefined {
    if (this.cancelling.delete(key)) return undefined
    const unit = this.running.get(key)
    this.running.delete(key)
    return unit
  }

  /** Drops a queued copy of a unit (it is done elsewhere); false if none was queued. */
  dropQueued (jobId: string, unitId: string): boolean {
    if (!this.queued.delete(unitKey(jobId, unitId))) return false
    const at = this.queue.findIndex(t => t.jobId === jobId && t.unitId === unitId)
    if (at >= 0) this.queue.splice(at, 1)
    return true
  }

  /** The job is over: its queued units are dropped, its running ones cancelled (`cancelUnit`: their slots stay taken). */
  dropJob (jobId: string): void {
    for (const [k, { ticket }] of this.running) {
      if (ticket.jobId !== jobId) continue
      this.running.delete(k)
      this.cancelling.add(k)
      this.commands.push({ kind: 'cancelUnit', jobId, unitId: ticket.unitId })
    }
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const ticket = this.queue[i] as UnitTicket
      if (ticket.jobId !== jobId) continue
      this.queue.splice(i, 1)
      this.queued.delete(unitKey(ticket.jobId, ticket.unitId))
    }
  }

  /** Takes up to `want` of the newest queued tickets, half the queue at most and one message's worth (for a thief). */
  giveNewest (want: number): UnitTicket[] {
    const give = Math.min(want, Math.floor(this.queue.length / 2), MAX_TICKETS_PER_MESSAGE)
    if (give <= 0) return []
    // as many as one message holds (tickets of units with many dependencies are larger)
    const fits = (ticketBatches(this.queue.slice(this.queue.length - give))[0] as UnitTicket[]).length
    const tickets = this.queue.splice(this.queue.length - give, fits)
    for (const t of tickets) this.queued.delete(unitKey(t.jobId, t.unitId))
    return tickets
  }
}
