/**
 * How many gossip messages one author may have validated and forwarded: a token bucket per peer, `burst` deep,
 * refilled at `perSecond`. Gossipsub checks that a message is well-formed and signed, not how many a member sends:
 * one member publishing valid messages in a loop would have every node decode, handle and forward each of them.
 */
export interface GossipBudgetInit {
  /** Messages an author may send at once after a quiet spell. */
  burst: number
  /** Messages per second an author may keep up. */
  perSecond: number
  /** Authors remembered at most; the longest unheard are forgotten (a forgotten author starts with a full bucket). */
  maxPeers?: number
  /** Milliseconds, for tests. Default `performance.now`. */
  now?: () => number
}

/**
 * Far above what gmesh publishes (per node: membership a few messages a second, cache announcements batched every
 * 250 ms, a job's lease every 500 ms plus its grants and results), so that only a flood is held back.
 */
export const DEFAULT_GOSSIP_BUDGET: GossipBudgetInit = { burst: 1000, perSecond: 200 }

interface Bucket { tokens: number, at: number }

export class GossipBudget {
  private readonly buckets = new Map<string, Bucket>()
  private readonly maxPeers: number
  private readonly now: () => number

  constructor (private readonly init: GossipBudgetInit) {
    this.maxPeers = init.maxPeers ?? 4096
    this.now = init.now ?? (() => performance.now())
  }

  /** Takes one message from `peer`'s budget: false when it is spent (the message is to be ignored). */
  take (peer: string): boolean {
    const now = this.now()
    const bucket = this.buckets.get(peer) ?? { tokens: this.init.burst, at: now }
    bucket.tokens = Math.min(this.init.burst, bucket.tokens + (now - bucket.at) * this.init.perSecond / 1000)
    bucket.at = now
    // most recently heard last, so that the first one is the longest unheard
    this.buckets.delete(peer)
    this.buckets.set(peer, bucket)
    if (this.buckets.size > this.maxPeers) this.buckets.delete(this.buckets.keys().next().value!)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
