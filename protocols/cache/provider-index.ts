import type { Millis, PeerId } from '../core/index.js'
import type { SignedRecord } from './record.js'

/** One peer that holds one entry, as announced. */
export interface Provider {
  readonly peer: PeerId
  readonly record: SignedRecord
  /** Local time this node last heard the claim (announcement, index sync, successful fetch). */
  readonly seenAt: Millis
}

export interface ProviderIndexConfig {
  /** Most (key, provider) pairs held; least recently used keys go first past it. About 850 bytes of heap each (measured). */
  readonly maxEntries: number
  /** A claim not heard again within this long is dropped (providers re-announce well before). */
  readonly ttlMs: Millis
  /** Most providers kept per key (the most recently heard): a popular entry costs no more than this. */
  readonly maxProvidersPerKey: number
}

export const DEFAULT_PROVIDER_INDEX: ProviderIndexConfig = Object.freeze({ maxEntries: 100_000, ttlMs: 6 * 60 * 60 * 1000, maxProvidersPerKey: 32 })

/**
 * Gradle key -> providers, built from announcements. Lookup is one Map get; memory is bounded by
 * `maxEntries` (LRU over keys: a Map keeps insertion order, and a touch re-inserts); claims expire
 * after `ttlMs`; a peer declared dead loses all its claims at once through a reverse index.
 */
export class ProviderIndex {
  private readonly byKey = new Map<string, Map<PeerId, Provider>>()
  private readonly byPeer = new Map<PeerId, Set<string>>()
  private entries = 0

  constructor (readonly config: ProviderIndexConfig = DEFAULT_PROVIDER_INDEX) {}

  /** Keys dropped to stay under `maxEntries`: once there are any, a key missing here may still have providers. */
  evictedKeys = 0

  /** (key, provider) pairs held. */
  get size (): number {
    return this.entries
  }

  get keyCount (): number {
    return this.byKey.size
  }

  /** Records that `peer` provides `record.gradleKey`; a newer claim by the same peer replaces the older. Returns true if new. */
  add (peer: PeerId, record: SignedRecord, now: Millis, seenAt: Millis = now): boolean {
    const key = record.gradleKey
    let providers = this.byKey.get(key)
    if (providers === undefined) {
      providers = new Map()
    } else {
      this.byKey.delete(key)
    }
    this.byKey.set(key, providers)
    const previous = providers.get(peer)
    const isNew = !providers.delete(peer)
    // second-hand news of an older sighting never makes a claim look older than what this node heard itself
    const since = previous?.record.sha256 === record.sha256 ? Math.max(previous.seenAt, seenAt) : seenAt
    providers.set(peer, { peer, record, seenAt: since })
    if (!isNew) return false
    this.entries++
    let keys = this.byPeer.get(peer)
    if (keys === undefined) this.byPeer.set(peer, keys = new Set())
    keys.add(key)
    if (providers.size > this.config.maxProvidersPerKey) this.remove(key, providers.keys().next().value as PeerId)
    this.evictOverflow()
    return true
  }

  /** Unexpired providers of `key` (expired ones are dropped on the way); marks the key recently used. */
  lookup (key: string, now: Millis): Provider[] {
    const providers = this.byKey.get(key)
    if (providers === undefined) return []
    const out: Provider[] = []
    for (const provider of providers.values()) {
      if (this.isExpired(provider, now)) this.remove(key, provider.peer)
      else out.push(provider)
    }
    if (out.length > 0) {
      this.byKey.delete(key)
      this.byKey.set(key, providers)
    }
    return out
  }

  /** Whether `peer` currently claims `key` (no LRU touch). */
  has (key: string, peer: PeerId): boolean {
    return this.byKey.get(key)?.has(peer) ?? false
  }

  /** Drops one claim (e.g. the peer answered "missing"). */
  remove (key: string, peer: PeerId): void {
    const providers = this.byKey.get(key)
    if (providers === undefined || !providers.delete(peer)) return
    this.entries--
    if (providers.size === 0) this.byKey.delete(key)
    const keys = this.byPeer.get(peer)
    keys?.delete(key)
    if (keys?.size === 0) this.byPeer.delete(peer)
  }

  /** Membership declared `peer` dead: forget everything it claimed. Returns how many claims went. */
  removePeer (peer: PeerId): number {
    const keys = this.byPeer.get(peer)
    if (keys === undefined) return 0
    const count = keys.size
    for (const key of [...keys]) this.remove(key, peer)
    return count
  }

  /** Drops every expired claim; returns how many. Call it now and then (the protocol does, on a timer). */
  sweep (now: Millis): number {
    let dropped = 0
    for (const [key, providers] of [...this.byKey]) {
      for (const provider of [...providers.values()]) {
        if (this.isExpired(provider, now)) {
          this.remove(key, provider.peer)
          dropped++
        }
      }
    }
    return dropped
  }

  /** Every key with claims (some may have expired; no LRU touch). */
  keys (): IterableIterator<string> {
    return this.byKey.keys()
  }

  /** Unexpired providers of `key`, without marking it used or dropping anything (for answering index sync). */
  unexpired (key: string, now: Millis): Provider[] {
    const providers = this.byKey.get(key)
    if (providers === undefined) return []
    return [...providers.values()].filter(p => !this.isExpired(p, now))
  }

  /** Unexpired claims, most recently used keys first, at most `limit` (for answering index sync). */
  * claims (now: Millis, limit: number): Generator<Provider> {
    if (limit <= 0) return
    let given = 0
    const keys = [...this.byKey.keys()].reverse()
    for (const key of keys) {
      for (const provider of this.byKey.get(key)?.values() ?? []) {
        if (this.isExpired(provider, now)) continue
        yield provider
        if (++given >= limit) return
      }
    }
  }

  private isExpired (provider: Provider, now: Millis): boolean {
    return now - provider.seenAt > this.config.ttlMs
  }

  /** Past the limit, drops least recently used keys down to 90% of it in one pass (see `trimOldest`). */
  private evictOverflow (): void {
    if (this.entries <= this.config.maxEntries) return
    const target = Math.floor(this.config.maxEntries * 0.9)
    for (const [key, providers] of this.byKey) {
      if (this.entries <= target) return
      for (const peer of [...providers.keys()]) this.remove(key, peer)
      this.evictedKeys++
    }
  }
}
