import type { Millis, PeerId } from '../core/index.js'
import type { MemberRecord } from './messages.js'
import { bucketOf, peerHash } from './table.js'
import type { MemberTable } from './table.js'

/**
 * Anti-entropy trigger (in the spirit of memberlist's push/pull, pull only): every ping and direct
 * ack carries its sender's alive-set digest. Gossip delivers each rumour once, so a node that missed
 * one (lost, or cut by a partition while in flight, or dropped while the node was paused) holds a
 * view no other node holds, and it stays that way: nobody probes a member everyone else holds dead,
 * and its own round-robin reaches a given member only about once every n periods.
 *
 * Such a node sees its digest differ from every digest it is shown; a node whose view is merely a
 * few hundred milliseconds behind or ahead of a rumour sees equal digests again at once. So a
 * mismatch that has lasted `persistMs` without a single match in between makes the node pull from
 * the member that showed the last differing digest: the pull carries the node's digest of each of
 * `DIGEST_BUCKETS` buckets of peers, and the answer is every record the sender vouches for (live members it
 * heard from directly, tombstones of deaths it saw: TableAnswers) of the buckets that differ, as welcome parts — a missed rumour costs about n / 64 records, not the
 * table. Records are merged under SWIM's precedence rules, so a pull can neither resurrect nor kill
 * anyone the sender's view could not. A pull restarts the wait, so a node pulls at most once per
 * `persistMs` (plus the time to its next digest) however its view differs.
 */
export class AntiEntropy {
  private mismatchSince: Millis | undefined
  /** The member this node last pulled from, and when. */
  private lastPull: { readonly from: PeerId, readonly at: Millis } | undefined
  /** Pulls decided so far. */
  pulls = 0

  constructor (private readonly persistMs: Millis) {}

  /**
   * Notes a digest shown by member `from` at `now` (undefined: none shown); true when this node should
   * pull from that member. `own` is undefined while the node is still joining (its view is known
   * to be partial and a welcome is on its way): nothing is pulled and no mismatch is counted.
   */
  observe (own: number | undefined, shown: number | undefined, now: Millis, from?: PeerId): boolean {
    if (shown === undefined) return false
    if (own === undefined || own === shown) {
      this.mismatchSince = undefined
      return false
    }
    if (this.mismatchSince === undefined) {
      this.mismatchSince = now
      return false
    }
    if (now - this.mismatchSince < this.persistMs) return false
    this.mismatchSince = undefined
    this.pulls++
    if (from !== undefined) this.lastPull = { from, at: now }
    return true
  }

  /** Whether a welcome from `from` at `now` answers this node's last pull: it pulled from `from` less than `persistMs` ago (the next pull comes no sooner). */
  answersPull (from: PeerId, now: Millis): boolean {
    return this.lastPull !== undefined && this.lastPull.from === from && now - this.lastPull.at < this.persistMs
  }
}

/** The alive-set digest of each bucket of this node's view: the table's, plus the node itself. */
export function viewBuckets (table: MemberTable, self: PeerId): number[] {
  const buckets = table.aliveBuckets()
  const hash = peerHash(self)
  const bucket = bucketOf(hash)
  buckets[bucket] = ((buckets[bucket] as number) ^ hash) >>> 0
  return buckets
}

/** Whether a peer falls in a bucket whose digest differs between two views (the records a pull asks for). */
export function inDifferingBuckets (own: readonly number[], theirs: readonly number[]): (peer: PeerId) => boolean {
  const differs = own.map((digest, bucket) => digest !== theirs[bucket])
  return peer => differs[bucketOf(peerHash(peer))] === true
}

/** Verdict pings one welcome part may cause (after a partition heals a part may vouch for hundreds). */
export const MAX_VOUCHED_PINGS = 16

/**
 * Members a welcome holds alive that `table` holds dead at the same or a later incarnation (so the
 * record cannot win): the sender heard from them since, or never heard of their death. Either way
 * they are worth pinging with the verdict now, rather than when the reconnect round-robin comes to
 * them: a live one refutes at once, a dead one costs one unanswered ping. At most MAX_VOUCHED_PINGS, and only
 * members this node heard from directly or let go as rumours (a real one whose probe was lost answers and is
 * back); not tombstones passed on to it of members it never knew: those that saw them die ping them.
 */
export function vouchedDead (table: MemberTable, records: readonly MemberRecord[]): PeerId[] {
  const out: PeerId[] = []
  for (const record of records) {
    if (out.length === MAX_VOUCHED_PINGS) break
    const held = table.get(record.peer)
    if (record.status === 'alive' && held?.status === 'dead' && (held.confirmed || held.dropped)) out.push(record.peer)
  }
  return out
}
