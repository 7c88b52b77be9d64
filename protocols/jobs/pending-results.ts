import type { Millis, PeerId } from '../core/index.js'
import type { JobsMessage } from './messages.js'
import type { RoleContext } from './wire.js'

type Result = Extract<JobsMessage, { type: 'result' }>

interface PendingResult {
  readonly message: Result
  readonly submitter: PeerId
  leader: PeerId
  /** The term `leader` leads (the one the result was sent for). */
  term: number
  /** Who has not acknowledged it yet (submitter, leader); only the submitter's acknowledgement ends it. */
  readonly waiting: Set<PeerId>
  lastSent: Millis
}

/** A unit's key among a worker's queued, running and finished units. */
export const unitKey = (jobId: string, unitId: string): string => `${jobId}\u0000${unitId}`

/**
 * The worker's side of results: each goes to the unit's submitter and its job's leader, again every
 * `resultRetryMs` to whichever has not acknowledged it, until the submitter does (it is recorded then).
 * The leader of a newer term is sent every result not recorded yet, even one its node acknowledged in an earlier term:
 * the same node may lead again without what it took before (the submitter takes results from its leaders only).
 */
export class PendingResults {
  private readonly entries = new Map<string, PendingResult>()

  constructor (private readonly ctx: RoleContext) {}

  get size (): number { return this.entries.size }

  /** Whether the result of the unit keyed `key` (see `unitKey`) waits here. */
  has (key: string): boolean {
    return this.entries.has(key)
  }

  /** The results waiting for an acknowledgement, with the submitter each waits for. */
  * waiting (): Generator<{ readonly message: Result, readonly submitter: PeerId }> {
    yield * this.entries.values()
  }

  /** `leader` leads the job for `term`. */
  send (message: Result, submitter: PeerId, leader: PeerId, term: number, now: Millis): void {
    const entry: PendingResult = { message, submitter, leader, term, waiting: new Set([submitter, leader]), lastSent: now }
    this.entries.set(unitKey(message.jobId, message.unitId), entry)
    for (const peer of entry.waiting) this.ctx.wire.send(peer, message)
  }

  /** The submitter's acknowledgement ends a pending result (it is recorded); the leader's stops sending it the result. */
  acknowledged (from: PeerId, jobId: string, unitId: string): void {
    const key = unitKey(jobId, unitId)
    const entry = this.entries.get(key)
    if (entry === undefined) return
    if (from === entry.submitter) this.entries.delete(key)
    else if (from === entry.leader) entry.waiting.delete(from)
  }

  /** `leader` leads `jobId` for `term` now: results sent for an older term go to it (again, if it led that one too). */
  newLeader (jobId: string, term: number, leader: PeerId, now: Millis): void {
    for (const entry of this.entries.values()) {
      if (entry.message.jobId !== jobId || entry.term >= term) continue
      entry.waiting.delete(entry.leader)
      entry.leader = leader
      entry.term = term
      entry.waiting.add(leader)
      entry.lastSent = now
      this.ctx.wire.send(leader, entry.message)
    }
  }

  /** The job is over: its results are sent no more. */
  dropJob (jobId: string): void {
    for (const [key, entry] of this.entries) if (entry.message.jobId === jobId) this.entries.delete(key)
  }

  tick (now: Millis): void {
    for (const entry of this.entries.values()) {
      if (now < entry.lastSent + this.ctx.config.resultRetryMs) continue
      entry.lastSent = now
      for (const peer of entry.waiting) this.ctx.wire.send(peer, entry.message)
    }
  }
}
