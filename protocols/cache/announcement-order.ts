import type { PeerId } from '../core/index.js'
import { trimOldest } from './negative-cache.js'

/** (provider, key) pairs remembered by default: as many as the provider index holds claims. */
export const DEFAULT_ANNOUNCEMENTS_REMEMBERED = 100_000

/**
 * Announcements of one provider about one key are taken in the order the provider signed them. Gossipsub signs, with
 * each message, a sequence number that only goes up per author (its clock in ns, then one up per message; the driver
 * passes it as `sent`), and forgets the ids of the messages it saw after 2 min: anyone may then send a captured
 * announcement again. Replayed, an announcement of an entry its provider has since dropped put its claim back after a
 * "missing" answer had removed it (and lifted the key's remembered miss); one naming an untrusted producer removed
 * the provider's later, trusted claim. So this keeps, per (provider, key), the highest `sent` of an announcement taken,
 * and a record in an announcement signed no later is old news, skipped.
 *
 * It remembers at most `max` pairs, the least recently announced going first: a replay of an announcement of a pair
 * forgotten, or heard before this node started, is taken as before (until the provider's "missing" answer). The cache
 * wire is unchanged (a node on the previous version reads the same messages); claims from index sync carry no
 * sequence number and are taken as before, and so is gossip from a driver that passes none (the simulator).
 */
export class AnnouncementOrder {
  private readonly newest = new Map<string, bigint>()
  /** Records skipped as older than one taken. */
  stale = 0

  constructor (private readonly max = DEFAULT_ANNOUNCEMENTS_REMEMBERED) {}

  /** Whether `provider`'s record of `gradleKey` in an announcement signed `sent` is news: if so it is noted as the newest. */
  take (provider: PeerId, gradleKey: string, sent: bigint): boolean {
    const pair = `${provider}\n${gradleKey}`
    const newest = this.newest.get(pair)
    if (newest !== undefined && sent <= newest) {
      this.stale++
      return false
    }
    this.newest.delete(pair)
    this.newest.set(pair, sent)
    if (this.newest.size > this.max) trimOldest(this.newest, this.max)
    return true
  }
}
