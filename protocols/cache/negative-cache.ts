import type { Millis } from '../core/index.js'

/**
 * Deletes the oldest entries of an insertion-ordered Map down to 90% of `max`, in one pass.
 * One at a time would be slow: V8 leaves deleted slots at a Map's head until it rehashes, so
 * `keys().next()` after many head deletions walks them all (measured: 19 µs per eviction at 10,000 keys).
 */
export function trimOldest<K, V> (map: Map<K, V>, max: number, onEvict?: (key: K, value: V) => void): void {
  const target = Math.floor(max * 0.9)
  for (const [key, value] of map) {
    if (map.size <= target) return
    map.delete(key)
    onEvict?.(key, value)
  }
}

/**
 * Keys that just missed mesh-wide, remembered for a few seconds so a build's burst of GETs for
 * the same missing key costs one Map lookup each. Bounded: the oldest entries go first.
 */
export class NegativeCache {
  private readonly until = new Map<string, Millis>()

  constructor (readonly ttlMs: Millis, readonly maxKeys: number) {}

  get size (): number {
    return this.until.size
  }

  remember (key: string, now: Millis): void {
    if (this.ttlMs <= 0) return
    this.until.delete(key)
    this.until.set(key, now + this.ttlMs)
    if (this.until.size > this.maxKeys) trimOldest(this.until, this.maxKeys)
  }

  /** True while the miss is fresh; an expired entry is dropped on the way. */
  has (key: string, now: Millis): boolean {
    const until = this.until.get(key)
    if (until === undefined) return false
    if (now < until) return true
    this.until.delete(key)
    return false
  }

  /** A provider for `key` just appeared: the miss is no longer true. */
  forget (key: string): void {
    this.until.delete(key)
  }
}
