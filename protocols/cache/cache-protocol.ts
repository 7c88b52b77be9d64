import { CodecError, EffectQueue } from '../core/index.js'
import type { Effect, Millis, PeerId, Random, SansIoProtocol, TimerKey, Verdict } from '../core/index.js'
import { CacheAnnouncer } from './announcer.js'
import { ClaimIntake } from './claim-intake.js'
import { CommandQueue } from './commands.js'
import type { CacheCommand } from './commands.js'
import { resolveCacheConfig } from './config.js'
import type { CacheConfigOverrides, CacheProtocolConfig } from './config.js'
import { IndexSync, SYNC_TIMER } from './index-sync.js'
import { CacheLookup } from './lookup.js'
import type { FetchResult, HeaderDecision } from './lookup.js'
import type { PeerLoadView } from './provider-choice.js'
import { CACHE_INDEX_PROTOCOL, CACHE_INDEX_PROTOCOL_1_2, CACHE_TOPIC, casFrameCodec } from './messages.js'
import type { CasFrame } from './messages.js'
import { ProviderIndex } from './provider-index.js'
import { signRecord } from './record.js'
import { VerifiedRecords } from './verified-records.js'
import type { CacheRecordFields, SignedRecord, Signer, Verifier } from './record.js'
import { Rejoins } from './rejoins.js'
import { Replicator } from './replicator.js'
import type { PushResult } from './replicator.js'
import { decidePush } from './push.js'
import type { SavedReplication } from './replica-backlog.js'
import { replicationsToResume } from './saved-replications.js'
import type { StoredEntry } from './stored-record.js'
import type { PushDecision } from './push.js'
import { TrustPolicy } from './trust.js'
import type { CacheProtocolStats } from './cache-protocol-stats.js'

export type { CacheProtocolStats } from './cache-protocol-stats.js'

export interface CacheProtocolDeps {
  readonly self: PeerId
  readonly sign: Signer
  readonly verify: Verifier
  readonly peers: PeerLoadView
  readonly random: Random
  readonly trust?: TrustPolicy
}

/** A local entry to announce: what the store knows after a PUT. */
export type LocalEntry = Omit<CacheRecordFields, 'producer'>

const SWEEP_TIMER = 'cache/index-sweep'

/**
 * The cache-sharing protocol of one node, sans IO. Gossip and index-sync frames come in through
 * `onMessage`, timers through `onTimer`; the node's store and HTTP server call the local commands
 * (`localPut`, `get`, `onFetchHeader`, `onFetchResult`, ...). After every call, drain both
 * `drainEffects()` (core: publish, send, timers) and `drainCommands()` (fetch, answer, push, ...).
 */
export class CacheProtocol implements SansIoProtocol {
  readonly topics = [CACHE_TOPIC] as const
  readonly protocolIds = [CACHE_INDEX_PROTOCOL, CACHE_INDEX_PROTOCOL_1_2] as const
  readonly config: CacheProtocolConfig
  readonly index: ProviderIndex
  readonly lookup: CacheLookup
  readonly announcer: CacheAnnouncer
  readonly trust: TrustPolicy
  private readonly sync: IndexSync
  private readonly rejoins: Rejoins
  private readonly verified: VerifiedRecords
  private readonly claims: ClaimIntake
  private readonly effects = new EffectQueue()
  private readonly commands = new CommandQueue()
  private readonly replicator: Replicator
  private running = false

  constructor (private readonly deps: CacheProtocolDeps, overrides: CacheConfigOverrides = {}) {
    this.config = resolveCacheConfig(overrides)
    this.trust = deps.trust ?? new TrustPolicy()
    this.index = new ProviderIndex(this.config.index)
    this.announcer = new CacheAnnouncer(this.effects, this.config.announcer)
    this.sync = new IndexSync(this.effects, deps.random, this.config.sync, this.config.index.maxProvidersPerKey)
    this.rejoins = new Rejoins(this.config.sync)
    this.verified = new VerifiedRecords(deps.verify)
    const checkSignature = (record: SignedRecord): boolean => this.verified.check(record)
    const { self, random, peers } = deps
    const indexComplete = (): boolean => this.sync.synced && this.index.evictedKeys === 0
    this.lookup = new CacheLookup({ self, index: this.index, trust: this.trust, peers, random, checkSignature, indexComplete, effects: this.effects, commands: this.commands }, this.config.lookup)
    const { replication, replicaRetry: retry } = this.config
    this.replicator = new Replicator({ self, index: this.index, peers, effects: this.effects, commands: this.commands, replication, retry })
    this.claims = new ClaimIntake({
      self, index: this.index, lookup: this.lookup, trust: this.trust, verified: this.verified, sync: this.sync, announcer: this.announcer, ttlMs: this.config.index.ttlMs, maxClaims: this.config.sync.maxClaims
    })
  }

  /** Announced records skipped as signed before one taken from the same provider for the same key (AnnouncementOrder). */
  get staleAnnouncements (): number {
    return this.claims.order.stale
  }

  get synced (): boolean {
    return this.sync.synced
  }

  start (now: Millis): void {
    this.running = true
    this.announcer.start(now)
    this.effects.setTimer(SWEEP_TIMER, now + this.config.sweepIntervalMs)
    this.replicator.start(now)
    this.sync.maybeStart(this.deps.peers.alivePeers(), now)
  }

  stop (_now: Millis): void {
    if (!this.running) return
    this.announcer.stop()
    this.running = false
  }

  drainEffects (): Effect[] {
    return this.effects.drain()
  }

  drainCommands (): CacheCommand[] {
    return this.commands.drain()
  }

  onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis, sent?: bigint): Verdict {
    if (!this.running || from === this.deps.self) return 'ignore'
    if (via === CACHE_TOPIC) return this.claims.onAnnouncement(from, bytes, now, sent)
    if (via === CACHE_INDEX_PROTOCOL || via === CACHE_INDEX_PROTOCOL_1_2) return this.claims.onIndexSync(from, via, bytes, now)
    return 'ignore'
  }

  onTimer (key: TimerKey, now: Millis): void {
    if (!this.running) return
    if (this.lookup.onTimer(key, now) || this.announcer.onTimer(key, now) || this.replicator.onTimer(key, now)) return
    if (key === SYNC_TIMER) {
      this.sync.onTimeout()
      this.sync.maybeStart(this.deps.peers.alivePeers(), now)
    } else if (key === SWEEP_TIMER) {
      this.index.sweep(now)
      this.effects.setTimer(SWEEP_TIMER, now + this.config.sweepIntervalMs)
    }
  }

  /**
   * Gradle PUT this entry locally. Returns the signed record to keep with the entry (its
   * signature lets this node serve it to peers), or undefined when this node does not announce
   * its own PUTs. Queues the announcement, a DHT provide in large meshes, and replica pushes.
   */
  localPut (entry: LocalEntry, now: Millis): SignedRecord | undefined {
    const record = this.signLocal(entry)
    if (record !== undefined) this.localPutSigned(record, now)
    return record
  }

  /** `localPut` in two steps: the record signed while the entry is stored (undefined when own PUTs are not announced)... */
  signLocal (entry: LocalEntry): SignedRecord | undefined {
    if (!this.trust.announcesOwnPuts) return undefined
    return signRecord({ ...entry, producer: this.deps.self }, this.deps.sign)
  }

  /** ...then, once it is stored, what `localPut` queues for it (a record of another producer is ignored). */
  localPutSigned (record: SignedRecord, now: Millis): void {
    if (record.producer !== this.deps.self || !this.trust.announcesOwnPuts) return
    this.holds(record, now)
    this.replicator.put(record, now)
  }

  /**
   * How a `push` of the own entry `key` to `peer` ended: `pushed` (it answered `stored` or `have`) counts towards
   * the R replicas; an entry short of R is offered again later (`ReplicaRetryConfig`).
   */
  onPushResult (key: string, peer: PeerId, result: PushResult): void {
    this.replicator.onPushResult(key, peer, result)
  }

  /** Own entries still short of R replicas, for the next run to resume; `savedReplicationsChanges` grows when they change. */
  savedReplications (): SavedReplication[] { return this.replicator.saved() }
  get savedReplicationsChanges (): number { return this.replicator.changes }

  /** At start: the previous run's `savedReplications`, with the store's entry of each key it holds, offered again (`replicationsToResume`). */
  resumeReplications (saved: readonly SavedReplication[], stored: ReadonlyMap<string, StoredEntry>, now: Millis): void {
    if (!this.trust.announcesOwnPuts) return // nor replicates them (`localPutSigned`)
    const { replication, replicaRetry } = this.config
    const limits = { self: this.deps.self, maxOffers: replicaRetry.maxOffers, maxEntries: replicaRetry.maxEntries, maxPushBytes: replication.maxPushBytes }
    this.replicator.resume(replicationsToResume(saved, stored, limits), now)
  }

  /** This node stored an entry it fetched or was pushed (bytes verified): provide it too. */
  localStored (record: SignedRecord, now: Millis): void {
    if (this.config.announceHeld) this.holds(record, now)
  }

  /** The local store evicted or quarantined the entry. */
  localEvicted (gradleKey: string): void {
    this.announcer.forget(gradleKey)
    this.replicator.forget(gradleKey)
  }

  /** A GET missed locally: look on peers. The answer comes as an `answer` command for `key`. */
  get (key: string, now: Millis, deadline: Millis = now + this.config.defaultGetDeadlineMs): void {
    this.lookup.start(key, now, deadline)
  }

  /**
   * A provider's response header arrived for a `fetch` command: stream the bytes only if accepted. Here and in
   * `onFetchProgress` and `onFetchResult`, `attempt` is the command's: a call for an earlier fetch (one called off
   * that ends late) is ignored. A driver passes it; only a test that runs one fetch at a time may leave it out.
   */
  onFetchHeader (key: string, peer: PeerId, header: Uint8Array, now: Millis, attempt?: number): HeaderDecision {
    let frame: CasFrame | undefined
    try {
      frame = casFrameCodec.decode(header)
    } catch (err) {
      if (!(err instanceof CodecError)) throw err
    }
    return this.lookup.onFetchHeader(key, peer, frame, now, attempt)
  }

  /**
   * An accepted fetch's body has brought `bytes` so far: report it now and then while it streams (a few times a
   * second is plenty) and once all of it is in; a body that stops moving is abandoned (`LookupConfig.bodyStallMs`).
   */
  onFetchProgress (key: string, peer: PeerId, bytes: number, now: Millis, attempt?: number): void {
    this.lookup.onBodyProgress(key, peer, bytes, now, attempt)
  }

  /** How a `fetch` command ended: `ok` only once the bytes are verified and stored. */
  onFetchResult (key: string, peer: PeerId, result: FetchResult, now: Millis, attempt?: number): void {
    const outcome = this.lookup.onFetchResult(key, peer, result, now, attempt)
    if (outcome?.hit === true && outcome.record !== undefined) this.localStored(outcome.record, now)
  }

  /** The DHT answered a `findProviders` command. */
  onProvidersFound (key: string, providers: readonly PeerId[], now: Millis, done = false): void {
    this.lookup.onProvidersFound(key, providers, now, done)
  }

  /** Should this node keep the replica a peer is pushing? (After storing it, call `localStored`.) A penalised pusher is refused. */
  onPushHeader (from: PeerId, header: Uint8Array, now: Millis): PushDecision {
    const isPenalised = (peer: PeerId): boolean => this.lookup.isPenalised(peer, now)
    return decidePush({ self: this.deps.self, verify: this.deps.verify, trust: this.trust, peers: this.deps.peers, replication: this.config.replication, isPenalised }, from, header)
  }

  /**
   * The pull of a replica `from` offered brought bytes that are certainly not the offered entry (a wrong hash, more
   * bytes than announced): `from` is penalised as a provider serving corrupt bytes, and its offers are refused meanwhile.
   */
  onReplicaPullCorrupt (from: PeerId, now: Millis): void {
    this.lookup.penalise(from, now, 'corrupt-blob')
  }

  /** Membership declared `peer` dead: forget its claims. */
  /**
   * A peer was declared dead: its fetches in flight stop. Its claims stay in the index (lookups
   * skip dead providers; the TTL and the LRU bound them), so a peer that comes back after a pause
   * or a partition is a provider again at once, with no index re-sync storm when a partition heals.
   */
  onPeerDown (peer: PeerId, now: Millis): void {
    this.lookup.onPeerDown(peer, now)
    this.claims.order.forget(peer) // back, it may sign from a clock behind its previous process's (AnnouncementOrder)
    this.rejoins.down(peer)
  }

  /** Figures for `/metrics` and `gmesh status`. */
  stats (): CacheProtocolStats {
    return {
      ...this.lookup.counters,
      providerClaims: this.index.size,
      indexedKeys: this.index.keyCount,
      heldRecords: this.announcer.heldCount,
      announced: this.announcer.published,
      lookupsInFlight: this.lookup.inFlight,
      negativeKeys: this.lookup.negative.size,
      signatureChecksSaved: this.verified.hits,
      synced: this.sync.synced,
      replicaBacklog: this.replicator.waiting,
      replicaBacklogDropped: this.replicator.givenUp,
      replicaParked: this.replicator.parked
    }
  }

  /**
   * Membership saw `peer` come up: a node that has not learnt the index yet may ask it; a peer back
   * after it was declared dead is asked for what was announced while they could not hear each other
   * (at most `rejoinResyncPeers` such requests per `rejoinResyncMs`: a healed partition costs a few
   * exchanges per node, not a mesh-wide re-announcement). Misses remembered for keys it claims are forgotten.
   */
  onPeerUp (peer: PeerId, now: Millis): void {
    if (!this.running) return
    // a miss remembered while `peer` was down is no longer true for the keys it claims
    this.lookup.negative.forgetProvided(key => this.index.has(key, peer))
    if (this.rejoins.up(peer, now)) this.sync.requestFrom(peer, now)
    this.sync.maybeStart(this.deps.peers.alivePeers(), now)
    this.replicator.onPeerUp(now)
  }

  private holds (record: SignedRecord, now: Millis): void {
    this.announcer.announce(record, now)
    this.lookup.negative.forget(record.gradleKey)
    if (this.deps.peers.alivePeers().length + 1 >= this.config.dhtProvideMinPeers) this.commands.push({ kind: 'provide', key: record.gradleKey })
  }
}
