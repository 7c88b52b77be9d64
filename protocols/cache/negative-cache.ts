import type { Millis } from '../core/index.js'

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
    while (this.until.size > this.maxKeys) {
      const oldest = this.until.keys().next()
      if (oldest.done === true) break
      this.until.delete(oldest.value)
    }
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
