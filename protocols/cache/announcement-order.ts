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
 *
 * A provider's order ends with it (`forget`, when membership holds it down): a restarted process signs from its clock
 * again, which may have stepped back, and its announcements must not be skipped as older than its previous process's.
 * The pairs are indexed by provider, so forgetting one costs its own pairs, not all of them.
 */
export class AnnouncementOrder {
  /** The highest `sent` taken per pair (`provider\nkey`), the least recently announced first. */
  private readonly newest = new Map<string, bigint>()
  /** The pairs in `newest` of each provider. */
  private readonly byProvider = new Map<PeerId, Set<string>>()
  /** Records skipped as older than one taken. */
  stale = 0

  constructor (private readonly max = DEFAULT_ANNOUNCEMENTS_REMEMBERED) {}

  /** Pairs remembered. */
  get size (): number {
    return this.newest.size
  }

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
    if (newest === undefined) this.pairsOf(provider).add(pair)
    if (this.newest.size > this.max) trimOldest(this.newest, this.max, evicted => { this.unindex(evicted) })
    return true
  }

  /** Forgets the order of `provider`'s announcements (it went down: a restart signs from the clock again). */
  forget (provider: PeerId): void {
    const pairs = this.byProvider.get(provider)
    if (pairs === undefined) return
    for (const pair of pairs) this.newest.delete(pair)
    this.byProvider.delete(provider)
  }

  private pairsOf (provider: PeerId): Set<string> {
    let pairs = this.byProvider.get(provider)
    if (pairs === undefined) {
      pairs = new Set()
      this.byProvider.set(provider, pairs)
    }
    return pairs
  }

  private unindex (pair: string): void {
    const provider = pair.slice(0, pair.indexOf('\n'))
    const pairs = this.byProvider.get(provider)
    pairs?.delete(pair)
    if (pairs?.size === 0) this.byProvider.delete(provider)
  }
}
