import type { Millis } from '../core/index.js'
import { MAX_INCARNATION_STEP, MAX_VOUCHED_INCARNATION, MAX_WELCOME_STEP, refutable } from './credence.js'
import type { MemberRecord } from './messages.js'

/**
 * This node's incarnation, and what the records others hold about it call for (SWIM's refutation):
 * - suspect or dead at its incarnation or later: refute with a higher one;
 * - suspect or dead at an older one: its holder missed an earlier refutation (a partition hid it), and
 *   so may others: the current record is published again, at most once per `republishMs`;
 * - alive at a later one: others hold the node at an incarnation it does not know (it restarted without
 *   its disk, or from a clock behind where it was held), so its own records would be stale to them and its
 *   load frozen: it goes one above it. Not to that one: its previous process's heartbeats were taken there, signed
 *   later than this process signs (its gossipsub sequence numbers start from the clock too), and every heartbeat of
 *   its own would be ignored as a replay (heartbeat-order.ts); a new incarnation starts that order again. Alive at
 *   its own incarnation is its own record (a welcome holds the joiner at its join's): it stays. (A clock stepped
 *   back to exactly where its previous process was held looks the same, and is not caught: going one above on every
 *   join cost the seeds-restart scenario 8.6 s to agree instead of 4.9.)
 * - near the largest incarnation (not `refutable`): a forgery (see `credible`), ignored: nobody else takes
 *   it, and refuting it would leave no room for the next. A suspicion or death at MAX_VOUCHED_INCARNATION
 *   is one too: its refutation would go past the bound, and this node restarted (from the clock, far below)
 *   could not take that incarnation back from others, nor out-number it: its records would be stale
 *   everywhere. So no other peer can move this node's incarnation past the bound.
 * - any status more than MAX_INCARNATION_STEP above its incarnation: a forgery too, as `credible` holds it for
 *   others (a node cannot have refuted what it never heard, nor been held alive where it never was): taking it
 *   would let one message move this node next to the bound, where no suspicion of it could be refuted any more.
 *   But the welcomes answering its join may hold it up to MAX_WELCOME_STEP above where it started (`joining`):
 *   it restarted from the clock soon after many refutations, or its clock stepped back; forged ones move it
 *   that far at most, however many.
 */
export class OwnIncarnation {
  private lastRepublish: Millis = -Infinity
  /** Records about this node ignored as forgeries. */
  incredible = 0

  /** The incarnation the node started at: welcomes answering its join are taken up to MAX_WELCOME_STEP above it. */
  private readonly start: number

  constructor (public value: number, private readonly republishMs: Millis) {
    this.start = value
  }

  /**
   * Takes in a record others hold about this node at `now` (`joining`: from a welcome answering its join); true
   * when the node should publish its own record.
   */
  learn (record: MemberRecord, now: Millis, joining = false): boolean {
    const highest = joining ? Math.max(this.value + MAX_INCARNATION_STEP, this.start + MAX_WELCOME_STEP) : this.value + MAX_INCARNATION_STEP
    if (!refutable(record) || record.incarnation > highest) {
      this.incredible++
      return false
    }
    if (record.status === 'alive') {
      if (record.incarnation <= this.value) return false
      // at most MAX_VOUCHED_INCARNATION (refutable): one above would be past what a restarted node can take back
      this.value = record.incarnation < MAX_VOUCHED_INCARNATION ? record.incarnation + 1 : record.incarnation
      return true
    }
    if (record.incarnation >= this.value) {
      // at most MAX_VOUCHED_INCARNATION (refutable): a restarted node can take it back from others
      this.value = record.incarnation + 1
    } else if (now - this.lastRepublish < this.republishMs) {
      return false
    }
    this.lastRepublish = now
    return true
  }
}
