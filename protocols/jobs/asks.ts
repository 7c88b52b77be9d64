import type { Millis, PeerId } from '../core/index.js'
import { BoundedMap } from './bounded.js'
import type { JobBook } from './job-book.js'
import type { UnitTicket } from './messages.js'
import { knownLive } from './wire.js'
import type { RoleContext } from './wire.js'

/** Asks (bids to a ticket's submitter) one sender's tickets may cause per `announceRetryMs` at most. */
export const MAX_ASKS_PER_SENDER = 8
/** Senders whose recent asks a worker remembers; the oldest are forgotten past this. */
const MAX_ASKING_SENDERS = 256

interface Window { start: Millis, asks: number }

/**
 * Whether a ticket of a job this worker does not know (or of a newer term) makes it ask the ticket's submitter who
 * leads now, with a bid. The submitter a ticket names is only the sender's word, so an ask goes only to a submitter
 * membership holds live (a member of the view: what "any member may submit" means for a name nobody authenticated),
 * once per job per `announceRetryMs` (JobBook `shouldAsk`), and at most MAX_ASKS_PER_SENDER per sender per
 * `announceRetryMs`: one assign naming thousands of made-up jobs and submitters made a worker send a bid (on a real
 * node, a dial and a DHT lookup) to each. Asks past these are dropped (`refused`); the tickets are skipped either way.
 */
export class Asks {
  private readonly windows = new BoundedMap<PeerId, Window>(MAX_ASKING_SENDERS)
  /** Asks not sent: the submitter is not a live member, or the sender's asks are over the cap. */
  refused = 0

  constructor (private readonly ctx: RoleContext, private readonly book: JobBook) {}

  /** Whether `from`'s `ticket` should make this worker ask its submitter now (if so, it is counted). */
  allow (from: PeerId, ticket: UnitTicket, now: Millis): boolean {
    if (!knownLive(this.ctx, ticket.submitter)) {
      this.refused++
      return false
    }
    const everyMs = this.ctx.config.announceRetryMs
    if (!this.book.shouldAsk(ticket.jobId, now, everyMs)) return false
    const window = this.windows.get(from)
    if (window === undefined || now >= window.start + everyMs) {
      this.windows.delete(from)
      this.windows.set(from, { start: now, asks: 1 })
      return true
    }
    if (window.asks >= MAX_ASKS_PER_SENDER) {
      this.refused++
      return false
    }
    window.asks++
    return true
  }
}
