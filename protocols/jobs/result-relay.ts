import type { Millis, PeerId } from '../core/index.js'
import type { JobsMessage } from './messages.js'
import type { RoleContext } from './wire.js'

type Result = Extract<JobsMessage, { type: 'result' }>

/**
 * The leader's side of results: the submitter records a result only from a leader it granted a term to (it
 * cannot tell who was given a unit; the leader can), so the leader passes on each result it accepted from one of
 * the unit's workers, again every `resultRetryMs` until the submitter acknowledges it.
 */
export class ResultRelay {
  private readonly unconfirmed = new Map<string, { readonly message: Result, lastSent: Millis }>()

  constructor (private readonly ctx: RoleContext, private readonly submitter: PeerId) {}

  get size (): number { return this.unconfirmed.size }

  /** The results passed on that the submitter has not acknowledged yet. */
  get messages (): Result[] { return [...this.unconfirmed.values()].map(e => e.message) }

  send (message: Result, now: Millis): void {
    this.unconfirmed.set(message.unitId, { message, lastSent: now })
    this.ctx.wire.send(this.submitter, message)
  }

  /** The submitter acknowledged the unit's result. */
  confirm (unitId: string): void {
    this.unconfirmed.delete(unitId)
  }

  tick (now: Millis): void {
    for (const entry of this.unconfirmed.values()) {
      if (now < entry.lastSent + this.ctx.config.resultRetryMs) continue
      entry.lastSent = now
      this.ctx.wire.send(this.submitter, entry.message)
    }
  }
}
