import type { EffectQueue, Millis, PeerId } from '../core/index.js'
import type { CommandQueue } from './commands.js'
import type { PeerLoadView } from './provider-choice.js'
import type { ProviderIndex } from './provider-index.js'
import type { SignedRecord } from './record.js'
import { pushTargets } from './rendezvous.js'
import type { ReplicationConfig } from './rendezvous.js'
import { ReplicaBacklog } from './replica-backlog.js'
import type { ReplicaRetryConfig, SavedReplication } from './replica-backlog.js'

export const REPLICATE_TIMER = 'cache/replicate'

/** How a replica push offer ended at the driver (node/mesh/replica-pusher.ts `PushOutcome`). */
export type PushResult = 'pushed' | 'refused' | 'failed'

export interface ReplicatorDeps {
  readonly self: PeerId
  readonly index: ProviderIndex
  readonly peers: PeerLoadView
  readonly effects: EffectQueue
  readonly commands: CommandQueue
  readonly replication: ReplicationConfig
  readonly retry: ReplicaRetryConfig
}

/**
 * Pushes this node's own entries to their R replicas: at PUT time, and again (`ReplicaBacklog`) for an entry that
 * fewer than R replicas confirmed, soon after a peer comes up and then on a timer with a growing wait per entry.
 */
export class Replicator {
  private readonly backlog: ReplicaBacklog
  private timerAt = Infinity
  /** When the parked entries were last looked at again without a peer coming up. */
  private unparkedAt = 0

  constructor (private readonly deps: ReplicatorDeps) {
    this.backlog = new ReplicaBacklog(deps.retry, () => deps.replication.replicas)
  }

  /** Own entries waiting for their replicas, and those given up (the bound, or out of offers). */
  get waiting (): number { return this.backlog.size }
  /** Own entries every live peer holds, short of R copies only for lack of peers: offered again when a peer comes up. */
  get parked (): number { return this.backlog.parkedSize }
  get givenUp (): number { return this.backlog.dropped }
  /** Grows whenever `saved` changes. */
  get changes (): number { return this.backlog.changes }

  /** The own entries still short of replicas, for a restarted node to `resume`. */
  saved (): SavedReplication[] { return this.backlog.saved() }

  /**
   * Own entries a previous run had not placed on R replicas, found again in the store: offered in the next round
   * (a peer coming up brings it forward), each given up once its offers in all reach `maxOffers`.
   */
  resume (entries: ReadonlyArray<{ readonly record: SignedRecord, readonly offers: number }>, now: Millis): void {
    if (this.deps.replication.replicas <= 0) return
    for (const { record, offers } of entries) this.backlog.resume(record, offers, now)
    if (this.backlog.size > 0) this.replicateBy(now + this.deps.retry.peerUpDelayMs)
  }

  start (now: Millis): void {
    this.replicateBy(now + this.deps.retry.intervalMs)
  }

  /** An own entry was stored: offer it to its replicas now, and remember it until R of them confirm it. */
  put (record: SignedRecord, now: Millis): void {
    const { replication } = this.deps
    if (replication.replicas <= 0 || record.size > replication.maxPushBytes) return
    const to = this.targets(record, this.holders(record.gradleKey, now), this.deps.peers.alivePeers())
    if (to.length > 0) this.deps.commands.push({ kind: 'push', record, to })
    this.backlog.add(record, to, now)
  }

  onPushResult (key: string, peer: PeerId, result: PushResult): void {
    this.backlog.answered(key, peer, result === 'pushed')
  }

  forget (key: string): void {
    this.backlog.forget(key)
  }

  /** A peer came up: own entries short of replicas may have one now (one round for peers coming up together). */
  onPeerUp (now: Millis): void {
    this.backlog.unpark(now)
    if (this.backlog.size > 0) this.replicateBy(now + this.deps.retry.peerUpDelayMs)
  }

  /** Handles the replicate timer; false for any other key. */
  onTimer (key: string, now: Millis): boolean {
    if (key !== REPLICATE_TIMER) return false
    this.timerAt = Infinity
    // a peer holding a parked entry may have dropped it since (evicted it, lost its disk) without going down
    if (this.backlog.parkedSize > 0 && now - this.unparkedAt >= this.deps.retry.maxRetryMs) {
      this.unparkedAt = now
      this.backlog.unpark(now)
    }
    const live = this.deps.peers.alivePeers()
    if (this.backlog.size > 0 && live.length > 0) {
      const steps = this.backlog.due(now, (record, held) => this.targets(record, held, live), key => this.holders(key, now))
      for (const step of steps) this.deps.commands.push({ kind: 'push', record: step.record, to: step.to })
    }
    this.replicateBy(now + this.deps.retry.intervalMs)
    return true
  }

  /** The replicas `record` goes to now: the top R of the `live` peers, minus the `held` ones known to provide it. */
  private targets (record: SignedRecord, held: ReadonlySet<PeerId>, live: readonly PeerId[]): PeerId[] {
    const { self, replication } = this.deps
    return pushTargets(record.gradleKey, self, live, record.size, held, replication)
  }

  /** Other live peers the index says provide `key`. */
  private holders (key: string, now: Millis): Set<PeerId> {
    const { self, peers } = this.deps
    return new Set(this.deps.index.lookup(key, now).map(p => p.peer).filter(peer => peer !== self && peers.isAlive(peer)))
  }

  /** The replicate timer fires by `at` (kept when it is already sooner). */
  private replicateBy (at: Millis): void {
    if (this.deps.replication.replicas <= 0 || at >= this.timerAt) return
    this.timerAt = at
    this.deps.effects.setTimer(REPLICATE_TIMER, at)
  }
}
