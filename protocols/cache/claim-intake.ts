import { CodecError } from '../core/index.js'
import type { Millis, PeerId, Verdict } from '../core/index.js'
import { AnnouncementOrder } from './announcement-order.js'
import type { CacheAnnouncer } from './announcer.js'
import type { IndexSync, SharedClaims } from './index-sync.js'
import type { CacheLookup } from './lookup.js'
import { CACHE_INDEX_PROTOCOL_1_2, announceCodec, indexSyncCodec } from './messages.js'
import type { IndexSyncMessage, ProviderClaim } from './messages.js'
import type { ProviderIndex } from './provider-index.js'
import type { SignedRecord } from './record.js'
import type { TrustPolicy } from './trust.js'
import type { VerifiedRecords } from './verified-records.js'

export interface ClaimIntakeDeps {
  readonly self: PeerId
  readonly index: ProviderIndex
  readonly lookup: CacheLookup
  readonly trust: TrustPolicy
  readonly verified: VerifiedRecords
  readonly sync: IndexSync
  readonly announcer: CacheAnnouncer
  /** A claim older than this is not taken from an index page (the index's TTL). */
  readonly ttlMs: Millis
  /** Most claims one index answer carries. */
  readonly maxClaims: number
}

/**
 * What peers say they hold, as it comes in: announcements on the cache topic and index-sync frames, checked
 * (signatures, trust, age) into the provider index; and the claims this node shares when a peer asks for its index.
 */
export class ClaimIntake {
  /** Which announcements were signed after which, per (provider, key): a replayed one is skipped. */
  readonly order = new AnnouncementOrder()

  constructor (private readonly deps: ClaimIntakeDeps) {}

  /** `sent`: the announcement's signed sequence number, if the driver has it (see AnnouncementOrder). */
  onAnnouncement (from: PeerId, bytes: Uint8Array, now: Millis, sent?: bigint): Verdict {
    const { verified, trust, index } = this.deps
    let records: readonly SignedRecord[]
    try {
      records = announceCodec.decode(bytes).records
    } catch (err) {
      if (err instanceof CodecError) return 'reject'
      throw err
    }
    if (!records.every(r => verified.check(r))) return 'reject'
    let trusted = 0
    for (const record of records) {
      if (sent !== undefined && !this.order.take(from, record.gradleKey, sent)) continue // a replay, or out of order
      if (!trust.mayProduce(record.producer)) {
        // `from` now holds an entry by a producer this node does not trust (it replaced the one it announced before,
        // or never had one this node could use): whatever it claimed for the key before is no longer there
        index.remove(record.gradleKey, from)
        continue
      }
      trusted++
      this.heard(from, record, now)
    }
    return trusted > 0 ? 'accept' : 'ignore'
  }

  /** An index-sync frame that came on `via` (1.3.0, or 1.2.0: without `after` or `next`, and answered as 1.2.0 nodes do). */
  onIndexSync (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    const { sync, verified, trust, self, ttlMs } = this.deps
    let message: IndexSyncMessage
    try {
      message = indexSyncCodec.decode(bytes)
    } catch (err) {
      if (err instanceof CodecError) return 'reject'
      throw err
    }
    const v12 = via === CACHE_INDEX_PROTOCOL_1_2
    if (v12 && (message.type === 'index-request' ? message.after : message.next) !== undefined) return 'reject' // trailing bytes for 1.2.0
    if (message.type === 'index-request') {
      const { requestId, after } = message
      const share = (): SharedClaims => v12 ? this.claimsAs12(now) : this.claimsToShare(now, after)
      return sync.answer(from, requestId, after, share, now, via) ? 'accept' : 'ignore'
    }
    if (!sync.expects(from, message.requestId)) return 'ignore'
    if (!sync.admits(message)) return 'reject'
    if (!message.claims.every(c => verified.check(c.record))) {
      this.deps.lookup.penalise(from, now, 'bad-signature')
      return 'reject'
    }
    // Claims of providers this node counts as dead are kept too, as the index keeps a departed peer's own claims:
    // after a partition heals, peers come back one by one, and a page applied before its provider is back would
    // otherwise lose that claim for good (lookups skip providers that are not alive; the TTL and LRU bound them).
    for (const { provider, record, ageMs = 0 } of message.claims) {
      if (provider === self || !trust.mayProduce(record.producer) || ageMs > ttlMs) continue
      this.heard(provider, record, now, now - ageMs) // it keeps the age it had: relayed, a claim does not live longer
    }
    sync.pageApplied(message, now)
    return 'accept'
  }

  /**
   * `provider` holds `record`'s entry: a miss remembered for the key is no longer true, and a lookup in flight for it
   * asks that provider too (else it would end in a miss and remember it again, after the announcement lifted it).
   */
  private heard (provider: PeerId, record: SignedRecord, now: Millis, seenAt = now): void {
    this.deps.index.add(provider, record, now, seenAt)
    this.deps.lookup.negative.forget(record.gradleKey)
    this.deps.lookup.onProviderAdded(record.gradleKey, provider, record, now)
  }

  /**
   * What a 1.2.0 node answered (no `next` it could not read): its own entries, newest first, then the claims it heard
   * of its most recently used keys, `maxClaims` at most.
   */
  private claimsAs12 (now: Millis): SharedClaims {
    const { announcer, index, self, maxClaims } = this.deps
    const claims: ProviderClaim[] = []
    for (const key of [...announcer.heldKeys()].reverse()) {
      const record = announcer.heldRecord(key)
      if (claims.length >= maxClaims) break
      if (record !== undefined) claims.push({ provider: self, record, ageMs: 0 })
    }
    for (const p of index.claims(now, maxClaims - claims.length)) claims.push({ provider: p.peer, record: p.record, ageMs: now - p.seenAt })
    return { claims }
  }

  /**
   * What this node holds and what it heard others hold, for the keys after `after` in key order (a stable order
   * any later request can go on from), ending before the key whose claims would take the answer past `maxClaims`
   * (a key's claims are never split; the first key with claims always goes). `next` is the last key sent when more keys
   * follow: the key of the last claim, as the asker checks.
   * Cost: one pass over the keys and a sort of those left, per request; the answer itself stays bounded.
   */
  private claimsToShare (now: Millis, after: string | undefined): SharedClaims {
    const { announcer, index, self, maxClaims } = this.deps
    const keys = new Set<string>()
    for (const source of [announcer.heldKeys(), index.keys()]) {
      for (const key of source) if (after === undefined || key > after) keys.add(key)
    }
    const claims: ProviderClaim[] = []
    let sent: string | undefined
    for (const key of [...keys].sort()) {
      const held = announcer.heldRecord(key)
      const ofKey: ProviderClaim[] = held === undefined ? [] : [{ provider: self, record: held, ageMs: 0 }]
      for (const p of index.unexpired(key, now)) ofKey.push({ provider: p.peer, record: p.record, ageMs: now - p.seenAt })
      if (ofKey.length === 0) continue // every claim of it expired: `next` names the last key with a claim sent
      if (claims.length > 0 && claims.length + ofKey.length > maxClaims) return { claims, next: sent }
      claims.push(...ofKey)
      sent = key
    }
    return { claims }
  }
}
