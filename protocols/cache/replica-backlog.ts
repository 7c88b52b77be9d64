import type { Millis, PeerId } from '../core/index.js'
import type { SignedRecord } from './record.js'
import { offerDeadlineMs, REPLICA_TIMING } from './push.js'

/** How long an offer of an entry of `size` bytes may be under way at most: each of its tries awaited, and the waits between. */
function offerUnderWayMs (size: number): Millis {
  return REPLICA_TIMING.offerTries * offerDeadlineMs(size) + REPLICA_TIMING.retryBaseMs * 2 ** REPLICA_TIMING.offerTries
}

export interface ReplicaRetryConfig {
  /**
   * Own entries remembered while fewer than R replicas have confirmed them, parked ones included; past this the oldest
   * parked one is let go (every live peer holds it), or with none parked the oldest waiting one is given up.
   */
  readonly maxEntries: number
  /** How often the entries due are offered again (while any are waiting). */
  readonly intervalMs: Millis
  /** After a peer comes up the entries due are offered this much later (peers coming up together make one round). */
  readonly peerUpDelayMs: Millis
  /** Wait before an entry is offered again, doubled after each further offer up to `maxRetryMs`. */
  readonly retryBaseMs: Millis
  readonly maxRetryMs: Millis
  /** Entries offered per round at most: a node with many entries and few replicas offers them a few at a time. */
  readonly maxPerRound: number
  /** Offers of one entry (the one at PUT time included) before it is given up. */
  readonly maxOffers: number
}

export const DEFAULT_REPLICA_RETRY: ReplicaRetryConfig = Object.freeze({
  maxEntries: 4096,
  intervalMs: 30_000,
  peerUpDelayMs: 2000,
  // an offer is tried 4 times over a few seconds, each waiting for the replica's pull: look again well after that
  retryBaseMs: 2 * 60 * 1000,
  maxRetryMs: 30 * 60 * 1000,
  maxPerRound: 32,
  maxOffers: 12
})

interface Pending {
  readonly record: SignedRecord
  /** Peers that answered `stored` or `have`. */
  readonly confirmed: Set<PeerId>
  /** Peers an offer to is under way, until when at most (its answer may be lost: a node stopping reports none). */
  readonly offering: Map<PeerId, Millis>
  offers: number
  nextAt: Millis
}

/** An own entry short of replicas, as a restarted node needs it to find the entry in its store again (`saved`). */
export interface SavedReplication {
  readonly key: string
  readonly sha256: string
  /** Offers made of it so far: a resumed entry is given up after `maxOffers` in all, not `maxOffers` more. */
  readonly offers: number
}

/** Where an entry due stands: done (R copies elsewhere), offered again to `to`, or waiting for more peers. */
export type BacklogStep = { readonly kind: 'offer', readonly record: SignedRecord, readonly to: readonly PeerId[] }

/**
 * This node's own entries that fewer than R replicas have confirmed (pure state, time from outside): an entry PUT
 * before any peer was known, or whose offers all failed, is offered again when peers come up and then with a growing
 * wait, until R replicas answered `stored`/`have` (or the index shows R other holders), it was offered `maxOffers`
 * times, or the store let it go. An entry every live peer already holds, in a mesh of R or fewer other peers, is
 * parked: out of the rounds (and not given up) until a peer comes up, or `maxRetryMs` passed (a holder may have dropped it
 * since), when it is looked at again.
 * A replica whose offer is still under way (its pull of a big entry may take up to 2 h) is not offered the entry again
 * until that offer is answered or could no longer be (`offerUnderWayMs`), and a round with only such replicas left
 * spends none of the entry's `maxOffers`.
 * Bounded: `maxEntries` entries waiting or parked, `maxPerRound` offered per round.
 */
export class ReplicaBacklog {
  private readonly pending = new Map<string, Pending>()
  /** Entries every live peer held when they were due (fewer live peers than R), oldest first: looked at again when a peer comes up. */
  private readonly parked = new Map<string, Pending>()
  /** Entries given up: pushed out by newer ones, or out of offers. */
  dropped = 0
  /** Grows whenever what `saved` lists changes (an entry in or out, an offer made): a driver keeping it on disk writes it then. */
  changes = 0

  constructor (private readonly config: ReplicaRetryConfig, private readonly replicas: () => number) {}

  /** Entries waiting for replicas (the parked ones not counted). */
  get size (): number { return this.pending.size }
  get parkedSize (): number { return this.parked.size }

  /** An own entry was just offered to the `offeredTo` peers (none when no replica was known). */
  add (record: SignedRecord, offeredTo: readonly PeerId[], now: Millis): void {
    const offers = offeredTo.length > 0 ? 1 : 0
    const offering = new Map(offeredTo.map(peer => [peer, now + offerUnderWayMs(record.size)]))
    this.insert({ record, confirmed: new Set(), offering, offers, nextAt: offers > 0 ? now + this.config.retryBaseMs : now })
  }

  /**
   * An own entry this node's previous run had not placed on R replicas (`saved`), after `offers` offers: due at once
   * (no offer of it is under way now), and given up once its offers reach `maxOffers`.
   */
  resume (record: SignedRecord, offers: number, now: Millis): void {
    if (offers >= this.config.maxOffers) return
    this.insert({ record, confirmed: new Set(), offering: new Map(), offers, nextAt: now })
  }

  /** The entries waiting or parked, oldest offer first: what a restarted node resumes (`resume`). */
  saved (): SavedReplication[] {
    return [...this.pending.values(), ...this.parked.values()].map(({ record, offers }) => ({ key: record.gradleKey, sha256: record.sha256, offers }))
  }

  private insert (entry: Pending): void {
    this.forget(entry.record.gradleKey)
    this.changes++
    this.pending.set(entry.record.gradleKey, entry)
    while (this.pending.size + this.parked.size > this.config.maxEntries) {
      if (this.parked.size > 0) {
        this.parked.delete(this.parked.keys().next().value as string) // every live peer held it: not given up
        continue
      }
      this.pending.delete(this.pending.keys().next().value as string)
      this.dropped++
    }
  }

  /** The offer of `key` to `peer` ended (`pushed`: it answered `stored` or `have`): with R such answers the entry is done. */
  answered (key: string, peer: PeerId, pushed: boolean): void {
    const entry = this.pending.get(key) ?? this.parked.get(key)
    if (entry === undefined) return
    entry.offering.delete(peer)
    if (!pushed) return
    entry.confirmed.add(peer)
    if (entry.confirmed.size >= this.replicas()) this.forget(key)
  }

  forget (key: string): void {
    if (this.pending.delete(key) || this.parked.delete(key)) this.changes++
  }

  /** A peer came up: the parked entries are due again (after the waiting ones), to be offered to it if it is a replica. */
  unpark (now: Millis): void {
    for (const [key, entry] of this.parked) {
      entry.nextAt = now
      this.pending.set(key, entry)
    }
    this.parked.clear()
  }

  /**
   * One round: the entries due, oldest offer first, at most `maxPerRound` offered. `targets` names an entry's
   * replicas now, the known holders it is given excluded; `holders` the peers known to hold it; an entry with R confirmed or known holders
   * is done, one with no replica left to ask (every live peer holds it) is parked until a peer comes up (`unpark`).
   */
  due (now: Millis, targets: (record: SignedRecord, held: ReadonlySet<PeerId>) => readonly PeerId[], holders: (key: string) => ReadonlySet<PeerId>): BacklogStep[] {
    const out: BacklogStep[] = []
    const offered: string[] = []
    for (const [key, entry] of this.pending) {
      if (out.length >= this.config.maxPerRound) break
      if (entry.nextAt > now) continue
      const held = holders(key)
      const copies = new Set([...entry.confirmed, ...held])
      if (copies.size >= this.replicas()) {
        this.forget(key)
        continue
      }
      const replicas = targets(entry.record, held).filter(peer => !entry.confirmed.has(peer))
      // a replica still pulling the entry from its first offer is not offered it again, and costs no offer
      const to = replicas.filter(peer => (entry.offering.get(peer) ?? -Infinity) <= now)
      if (replicas.length === 0) {
        this.pending.delete(key)
        this.parked.set(key, entry)
        continue
      }
      if (to.length === 0) continue
      for (const peer of to) entry.offering.set(peer, now + offerUnderWayMs(entry.record.size))
      entry.offers++
      entry.nextAt = now + Math.min(this.config.maxRetryMs, this.config.retryBaseMs * 2 ** Math.max(0, entry.offers - 1))
      out.push({ kind: 'offer', record: entry.record, to })
      offered.push(key)
    }
    if (offered.length > 0) this.changes++
    for (const key of offered) {
      const entry = this.pending.get(key)
      if (entry === undefined) continue
      this.pending.delete(key)
      if (entry.offers >= this.config.maxOffers) this.dropped++
      else this.pending.set(key, entry) // to the back: the next round starts with the others
    }
    return out
  }
}
