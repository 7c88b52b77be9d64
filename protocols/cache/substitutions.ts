import type { Millis, PeerId } from '../core/index.js'
import { trimOldest } from './negative-cache.js'

/**
 * Keys of one provider whose substitution may be forgiven per window (see `Substitutions`). Measured on
 * cache-forged-records (seeds 1-10, 24 nodes): 1 misses 9 of 4,706 GETs, 2 misses 32, 4 misses 42 (forgers bait more).
 */
export const MAX_FORGIVEN_SUBSTITUTIONS = 1
/** Providers whose forgiven substitutions are remembered at most (the oldest window is forgotten first). */
const MAX_PROVIDERS = 1024

/**
 * Which substitutions (a provider answering with an untrusted producer's record of a key where it announced a
 * trusted one) to forgive. An honest provider that rebuilt entries (Gradle PUT them again there, `--rerun-tasks`
 * rebuilds them all, so it is now their producer) answers so until its new announcements arrive: once per key, and
 * a claim forgiven is dropped. A forger baiting with honest records looks the same once, so each provider is forgiven
 * at most `MAX_FORGIVEN_SUBSTITUTIONS` keys per `windowMs`, each key once: more, or the same key again, is forgery.
 * An honest provider whose new announcements this node misses for more keys than that is penalised too (rare: its
 * announcements go out within `flushIntervalMs`, 250 ms).
 */
export class Substitutions {
  private readonly windows = new Map<PeerId, { readonly since: Millis, readonly keys: Set<string> }>()

  constructor (private readonly windowMs: Millis) {}

  /** `peer` substituted its record of `key` now: true if that is forgiven. */
  forgive (peer: PeerId, key: string, now: Millis): boolean {
    let window = this.windows.get(peer)
    if (window === undefined || now - window.since >= this.windowMs) {
      window = { since: now, keys: new Set() }
      this.windows.delete(peer)
      this.windows.set(peer, window)
      trimOldest(this.windows, MAX_PROVIDERS)
    }
    if (window.keys.has(key) || window.keys.size >= MAX_FORGIVEN_SUBSTITUTIONS) return false
    window.keys.add(key)
    return true
  }
}
