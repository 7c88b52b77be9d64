import type { PeerId } from '../core/index.js'

/**
 * How many fetches this node runs at once from each provider, and who waits for a slot (first come, first served).
 * Gradle asks for one entry per worker all at once; without a bound they all hit one provider, which can only
 * refuse the excess (a `busy` answer, or a reset stream past its per-peer limit) and each refusal became a miss.
 */
export class ProviderSlots<T> {
  private readonly running = new Map<PeerId, number>()
  private readonly queues = new Map<PeerId, T[]>()

  constructor (readonly perProvider: number) {}

  hasRoom (peer: PeerId): boolean {
    return (this.running.get(peer) ?? 0) < this.perProvider
  }

  /** Waiters for `peer`: they count in its load when lookups rank providers. */
  queued (peer: PeerId): number {
    return this.queues.get(peer)?.length ?? 0
  }

  take (peer: PeerId): void {
    this.running.set(peer, (this.running.get(peer) ?? 0) + 1)
  }

  /** `waiter` gets the next slot of `peer` that frees up. */
  wait (peer: PeerId, waiter: T): void {
    const queue = this.queues.get(peer) ?? []
    queue.push(waiter)
    this.queues.set(peer, queue)
  }

  /** `waiter` no longer wants a slot of `peer` (its lookup ended or moved on). */
  cancel (peer: PeerId, waiter: T): void {
    const queue = this.queues.get(peer)
    if (queue === undefined) return
    const at = queue.indexOf(waiter)
    if (at >= 0) queue.splice(at, 1)
    if (queue.length === 0) this.queues.delete(peer)
  }

  /** A fetch from `peer` ended: its slot goes to the first waiter, returned (it holds the slot now), if any. */
  release (peer: PeerId): T | undefined {
    const queue = this.queues.get(peer)
    const next = queue?.shift()
    if (queue !== undefined && queue.length === 0) this.queues.delete(peer)
    if (next !== undefined) return next
    const left = (this.running.get(peer) ?? 1) - 1
    if (left <= 0) this.running.delete(peer)
    else this.running.set(peer, left)
    return undefined
  }

  /** Every waiter of `peer`, removed (the peer went down). */
  dropWaiters (peer: PeerId): T[] {
    const queue = this.queues.get(peer) ?? []
    this.queues.delete(peer)
    return queue
  }
}
