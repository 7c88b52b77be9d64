import type { CasLogger } from './logger.js'

export type DroppedListener = (keys: readonly string[]) => void

/** Who is told the keys of entries the store lets go (evicted, quarantined, missing, deleted). */
export class DroppedListeners {
  private readonly listeners = new Set<DroppedListener>()

  constructor (private readonly logger: CasLogger) {}

  /** Adds `listener`; returns the unwatch. */
  watch (listener: DroppedListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Tells every listener; one that throws is logged and the others are still told. */
  tell (keys: readonly string[]): void {
    for (const listener of keys.length === 0 ? [] : this.listeners) {
      try { listener(keys) } catch (err) { this.logger.warn({ err }, 'cas: a listener of dropped entries failed') }
    }
  }
}
