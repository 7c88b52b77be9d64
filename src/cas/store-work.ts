import { AbortError, StoreClosedError } from './errors.js'

/**
 * The store's work under way, so that closing it waits for every write, quarantine and eviction started before,
 * and stops what still reads a body (a put) or the disk (a verify) with StoreClosedError.
 */
export class StoreWork {
  private readonly pending = new Set<Promise<unknown>>()
  private readonly closing = new AbortController()

  get closed (): boolean { return this.closing.signal.aborted }

  /** Follows `promise` until it settles: close() waits for it. */
  track<T> (promise: Promise<T>): Promise<T> {
    this.pending.add(promise)
    const forget = (): void => { this.pending.delete(promise) }
    promise.then(forget, forget)
    return promise
  }

  /** The caller's signal joined with the store's closing: work given it is stopped by close() too. */
  signal (callerSignal: AbortSignal | undefined): AbortSignal {
    return callerSignal === undefined ? this.closing.signal : AbortSignal.any([callerSignal, this.closing.signal])
  }

  /** An abort caused by close() (not by the caller's own signal) is reported as StoreClosedError. */
  closedInstead (err: unknown, callerSignal: AbortSignal | undefined): unknown {
    const byClose = err instanceof AbortError && this.closing.signal.aborted && callerSignal?.aborted !== true
    return byClose ? new StoreClosedError() : err
  }

  /** Stops the work that reads bodies and waits until every tracked promise (also those tracked meanwhile) settled. */
  async close (): Promise<void> {
    this.closing.abort(new StoreClosedError())
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }
}
