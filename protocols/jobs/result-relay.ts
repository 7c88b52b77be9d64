import type { Millis, PeerId } from '../core/index.js'
import type { JobsMessage } from './messages.js'
import type { RoleContext } from './wire.js'

type Result = Extract<JobsMessage, { type: 'result' }>

/**
 * Results sent on to one peer until it acknowledges them. A leader's to its submitter: the submitter records a result
 * only from a leader it granted a term to (it cannot tell who was given a unit; the leader can), so the leader passes
 * on each result it accepted from one of the unit's workers, again every `resultRetryMs` until acknowledged. A
 * submitter's to the leader of its current term: the results it recorded that the term's grant did not list and that
 * leader may not know of (see ToldLeader), again with every lease request until acknowledged.
 */
export class ResultRelay {
  private readonly unconfirmed = new Map<string, { readonly message: Result, lastSent: Millis }>()

  constructor (private readonly ctx: RoleContext, readonly to: PeerId) {}

  get size (): number { return this.unconfirmed.size }

  /** The results sent that `to` has not acknowledged yet. */
  get messages (): Result[] { return [...this.unconfirmed.values()].map(e => e.message) }

  send (message: Result, now: Millis): void {
    this.unconfirmed.set(message.unitId, { message, lastSent: now })
    this.ctx.wire.send(this.to, message)
  }

  /** `to` acknowledged the unit's result. */
  confirm (unitId: string): void {
    this.unconfirmed.delete(unitId)
  }

  /** Sends again what is unacknowledged `resultRetryMs` after it was last sent (0: all of it). */
  tick (now: Millis, retryMs = this.ctx.config.resultRetryMs): void {
    for (const entry of this.unconfirmed.values()) {
      if (now < entry.lastSent + retryMs) continue
      entry.lastSent = now
      this.ctx.wire.send(this.to, entry.message)
    }
  }
}
