import type { Millis, PeerId } from '../core/index.js'
import type { RoleContext } from './wire.js'

/** A leader whose lease requests go unacknowledged this many lease periods forgets the job. */
export const FORGET_AFTER_LEASES = 3

/**
 * A leader's lease on one job for one term: valid until `leaseMs` after the send time of a lease request the
 * submitter acknowledged. A request goes out at once and again every `leaseRenewMs`.
 */
export class LeaderLease {
  private until = -Infinity
  private lastSent = -Infinity
  /** When the submitter last acknowledged a lease request (the grant counts as one). */
  private lastAcked: Millis

  constructor (private readonly ctx: RoleContext, private readonly jobId: string, private readonly term: number, private readonly submitter: PeerId, now: Millis) {
    this.lastAcked = now
    this.renew(now)
  }

  valid (now: Millis): boolean {
    return now < this.until
  }

  /** No request acknowledged for `FORGET_AFTER_LEASES` lease periods: a newer term leads the job, it is over, or its submitter is gone. */
  lapsedLong (now: Millis): boolean {
    return now > this.lastAcked + FORGET_AFTER_LEASES * this.ctx.config.leaseMs
  }

  /** The submitter acknowledged the request sent at `at`. */
  acknowledged (at: Millis, now: Millis): void {
    this.lastAcked = Math.max(this.lastAcked, now)
    this.until = Math.max(this.until, at + this.ctx.config.leaseMs)
  }

  /** Asks the submitter again once `leaseRenewMs` has passed since the last request. */
  renewIfDue (now: Millis): void {
    if (now >= this.lastSent + this.ctx.config.leaseRenewMs) this.renew(now)
  }

  private renew (now: Millis): void {
    this.lastSent = now
    this.ctx.wire.send(this.submitter, { type: 'lease', jobId: this.jobId, term: this.term, at: Math.floor(now) })
  }
}
