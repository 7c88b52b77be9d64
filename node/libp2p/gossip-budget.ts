/**
 * How many gossip messages one peer (an author, or a forwarder) may have validated and forwarded: a token bucket per
 * peer, `burst` deep, refilled at `perSecond`. Gossipsub checks that a message is well-formed and signed, not how many
 * a member sends: one member publishing valid messages in a loop would have every node decode, handle and forward each
 * of them.
 */
export interface GossipBudgetInit {
  /** Messages a peer may send at once after a quiet spell. */
  burst: number
  /** Messages per second a peer may keep up. */
  perSecond: number
  /** Peers remembered at most; the longest unheard are forgotten (a forgotten peer starts with a full bucket). */
  maxPeers?: number
  /** Milliseconds, for tests. Default `performance.now`. */
  now?: () => number
}

/**
 * Far above what gmesh publishes (per node: membership a few messages a second, cache announcements batched every
 * 250 ms, a job's lease every 500 ms plus its grants and results), so that only a flood is held back.
 */
export const DEFAULT_GOSSIP_BUDGET: GossipBudgetInit = { burst: 1000, perSecond: 200 }

/**
 * What one honest node publishes at most, kept up (per second) and at once. Kept up: 4 cache announcement batches
 * (protocols/cache DEFAULT_ANNOUNCER.flushIntervalMs = 250 ms) and a job announce (protocols/jobs announceRetryMs =
 * 1 s); membership heartbeats add 10 a second over the whole mesh (heartbeatDeliveriesPerSec), whatever its size. At
 * once: a cache refresh pass (refreshPerPass = 1024 records, 8 batches of 128) and a few membership rumours.
 */
const NODE_MESSAGES_PER_SEC = 5
const NODE_BURST = 20
const MEMBERSHIP_HEARTBEATS_PER_SEC = 10

/**
 * The budget of one forwarding peer (gossipsub's propagation source) in a mesh of `meshSize` nodes: what all of them
 * publish together, at the rates above. A relay that is a node's only link forwards it everything; with floodPublish
 * most messages come straight from their author instead, so a relay carries far less. Authors cost nothing (a fresh
 * key signs as well as a member's), the forwarder a connection: this budget is what bounds a flood signed by many
 * fresh keys, which the per-author budget does not. TopicGuard takes from it only messages of authors that are not
 * members (reached by this node: TopicGuardInit.isMember), so it carries the traffic of nodes not yet reached (a
 * mesh starting, a node joining), not the whole mesh's for good.
 */
export function forwarderBudgetFor (meshSize: number): GossipBudgetInit {
  return { burst: meshSize * NODE_BURST, perSecond: meshSize * NODE_MESSAGES_PER_SEC + MEMBERSHIP_HEARTBEATS_PER_SEC }
}

/** A 200-node mesh: a burst of 4000 messages, 1010 a second kept up, from one forwarder. */
export const DEFAULT_FORWARDER_BUDGET: GossipBudgetInit = forwarderBudgetFor(200)

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
