import type { Effect, PeerId } from '../../protocols/core/index.js'
import { CACHE_INDEX_PROTOCOL, CACHE_TOPIC, CacheProtocol, TrustPolicy } from '../../protocols/cache/index.js'
import type { CacheCommand, CacheConfigOverrides, CacheProtocolDeps, FetchResult, LookupOutcome } from '../../protocols/cache/index.js'
import { Membership } from '../../protocols/membership/index.js'
import type { MembershipConfig } from '../../protocols/membership/index.js'
import { MembershipPeerLoad } from '../../node/mesh/peer-load.js'
import { EventKind, bytesHash } from '../engine/index.js'
import type { Engine, EventHandler, SimEvent } from '../engine/index.js'
import type { GossipModel } from '../gossip.js'
import type { FaultState, Links } from '../network/index.js'
import { simPeerId } from '../peers.js'
import { TimerBook } from '../node-events.js'
import { Transport } from '../transport.js'
import { simSigner, simVerifier } from './blobs.js'
import type { SimEntry, StoredBlob } from './blobs.js'
import { BlobTransfers, CAS_RESPONSE, isCasVia } from './transfers.js'
import type { DhtModel } from '../dht.js'
import { SimDht } from './sim-dht.js'
import { CountingTrust, ForgeryLedger } from './trust.js'
import type { TrustFactory } from './trust.js'

/** Builds a node's cache protocol; tests pass deliberately broken variants here. */
export type CacheFactory = (deps: CacheProtocolDeps, overrides: CacheConfigOverrides) => CacheProtocol

/** Watches what the nodes' drivers see (the invariant checker implements it). */
export interface CacheObserver {
  /** A GET missed the local store and now waits on the mesh until `deadline`. */
  onGet: (node: number, key: string, deadline: number, now: number) => void
  /** The lookup answered; on a hit `served` is what the node's store now serves. */
  onAnswer: (node: number, key: string, outcome: LookupOutcome, served: StoredBlob | undefined, now: number) => void
  /** A fetch ended as the driver reported it to the protocol (`accepted`: its header was accepted). */
  onFetchResult: (node: number, key: string, peer: PeerId, result: FetchResult, accepted: boolean, now: number) => void
  /** A node's store gained an entry and the node announced it. */
  onHeld: (node: number, key: string, now: number) => void
  /** A GET hit the node's own store, which serves `served`. */
  onLocalHit?: (node: number, key: string, served: StoredBlob | undefined, now: number) => void
}

export interface CacheHarnessParts {
  readonly engine: Engine
  readonly links: Links
  readonly faults: FaultState
  readonly gossip: GossipModel
  readonly observer: CacheObserver
  /** Nodes that answer every fetch with corrupted bytes (under the honest record). */
  readonly malicious: ReadonlySet<number>
  /** Nodes that sign records of their own for other nodes' keys (sim/cache/forgers.ts); never GET. */
  readonly forgers?: ReadonlySet<number>
  /** Each node's trust policy (absent: an open mesh); every answer about a forger's record is counted. */
  readonly trust?: TrustFactory
  readonly cacheConfig?: CacheConfigOverrides
  readonly membershipConfig?: Partial<MembershipConfig>
  readonly createCache?: CacheFactory
  /** Test hook: false stores fetched bytes without checking their SHA-256 (a broken driver). */
  readonly verifyFetches?: boolean
  /** Test hook: false lets a replica pull take the bytes its provider's header names, not the offered record's (a broken driver). */
  readonly checkPullHeaders?: boolean
  /** The DHT large meshes provide to and look up in; without it those commands go unanswered. */
  readonly dht?: DhtModel
}

export interface CacheSimNode {
  readonly index: number
  readonly peer: PeerId
  membership: Membership | undefined
  cache: CacheProtocol | undefined
  peers: MembershipPeerLoad | undefined
  readonly store: Map<string, StoredBlob>
  /** Live peers as cache sharing was last told (cache-host's `noticeMembershipChanges`). */
  known: Set<PeerId>
  timers: Map<string, number>
  /** GETs waiting on the mesh, per key. */
  readonly waiters: Map<string, number>
}

const SEEDS = 5
const MEMBERSHIP_PREFIX = 'm|'
const CACHE_PREFIX = 'c|'

/** Runs Membership and the cache protocol on every virtual node through the calls cache-host.ts makes. */
export class CacheHarness implements EventHandler {
  readonly nodes: CacheSimNode[] = []
  readonly transport: Transport
  readonly transfers: BlobTransfers
  readonly injected = { crashes: 0 }
  readonly forgery: ForgeryLedger
  private readonly dht: SimDht | undefined
  private readonly index = new Map<PeerId, number>()
  private readonly seeds: PeerId[] = []
  private readonly timers: TimerBook

  constructor (readonly size: number, readonly parts: CacheHarnessParts) {
    this.transport = new Transport(size, parts.engine, parts.links, parts.faults, parts.gossip)
    this.timers = new TimerBook(parts.engine)
    for (let i = 0; i < size; i++) {
      const peer = simPeerId(i)
      this.nodes.push({ index: i, peer, membership: undefined, cache: undefined, peers: undefined, store: new Map(), known: new Set(), timers: new Map(), waiters: new Map() })
      this.index.set(peer, i)
      if (i < SEEDS) this.seeds.push(peer)
    }
    this.forgery = new ForgeryLedger(new Set([...parts.forgers ?? []].map(simPeerId)))
    this.transfers = new BlobTransfers(this)
    this.dht = parts.dht === undefined
      ? undefined
      : new SimDht({
        ...parts,
        size,
        node: i => this.node(i),
        deliverProviders: (i, key, providers) => { this.input(i, (cache, now) => { cache.onProvidersFound(key, providers, now, true) }) }
      }, parts.dht)
  }

  startAll (): void {
    for (let i = 0; i < this.size; i++) this.boot(i)
  }

  node (i: number): CacheSimNode { return this.nodes[i] as CacheSimNode }
  indexOf (peer: PeerId): number | undefined { return this.index.get(peer) }
  isUp (i: number): boolean { return this.parts.faults.up[i] === 1 }
  /** Malicious providers and forgers: they PUT and GET nothing of the workload. */
  isAdversary (i: number): boolean { return this.parts.malicious.has(i) || this.parts.forgers?.has(i) === true }

  /** Runs a local call on a live node's cache protocol, then carries out what it emitted. */
  input<T> (i: number, action: (cache: CacheProtocol, now: number) => T): T | undefined {
    const cache = this.node(i).cache
    if (cache === undefined) return undefined
    const out = action(cache, this.parts.engine.now)
    this.flush(i)
    return out
  }

  /** A Gradle PUT on node `i`: store the entry, sign and announce it. */
  put (i: number, entry: SimEntry): void {
    const node = this.node(i)
    if (node.cache === undefined || node.store.has(entry.key)) return
    const record = this.input(i, (cache, now) => cache.localPut({ gradleKey: entry.key, sha256: entry.sha256, size: entry.bytes.length, time: now }, now))
    if (record === undefined) return
    node.store.set(entry.key, { record, bytes: entry.bytes })
    this.parts.observer.onHeld(i, entry.key, this.parts.engine.now)
  }

  /** A Gradle GET on node `i`: a local hit, or a wait on the mesh (one lookup per key, as cache-host). Returns false on a local hit. */
  get (i: number, key: string): boolean {
    const node = this.node(i)
    if (node.cache === undefined) return false
    const now = this.parts.engine.now
    if (node.store.has(key)) {
      this.parts.observer.onLocalHit?.(i, key, node.store.get(key), now)
      return false
    }
    const waiting = (node.waiters.get(key) ?? 0) + 1
    node.waiters.set(key, waiting)
    this.parts.observer.onGet(i, key, now + node.cache.config.defaultGetDeadlineMs, now)
    if (waiting === 1) this.input(i, (cache, t) => { cache.get(key, t) })
    return true
  }

  /** The node dies with its store; it stays down. */
  crash (i: number): void {
    const node = this.node(i)
    if (!this.isUp(i)) return
    this.injected.crashes++
    node.membership = undefined
    node.cache = undefined
    node.timers = new Map()
    node.waiters.clear()
    this.transfers.forget(i)
    this.parts.faults.up[i] = 0
    this.parts.faults.downSince[i] = this.parts.engine.now
    this.parts.faults.disturbedAt[i] = this.parts.engine.now
  }

  handle (event: SimEvent): void {
    if (event.kind === EventKind.gossipWave) {
      const { engine, gossip, links } = this.parts
      const miss = gossip.missProbability(links.profile.loss)
      for (const r of event.list as number[]) {
        if (miss > 0 && engine.random.nextFloat() < miss) continue
        if (this.isUp(r)) this.deliver(this.node(r), event.from, event.key as string, event.bytes as Uint8Array)
      }
      return
    }
    if (!this.isUp(event.node)) return
    const node = this.node(event.node)
    if (event.kind === EventKind.timer) this.fireTimer(node, event)
    else this.deliver(node, event.from, event.key as string, event.bytes as Uint8Array)
  }

  /** Carries out a node's pending effects and cache commands; tells cache sharing about membership changes. */
  flush (i: number): void {
    const node = this.node(i)
    if (node.membership !== undefined) this.apply(i, MEMBERSHIP_PREFIX, node.membership.drainEffects())
    this.noticeMembershipChanges(node)
    if (node.cache === undefined) return
    this.apply(i, CACHE_PREFIX, node.cache.drainEffects())
    for (const command of node.cache.drainCommands()) this.run(i, command)
  }

  private boot (i: number): void {
    const node = this.node(i)
    const { engine, membershipConfig, cacheConfig, createCache } = this.parts
    const membership = new Membership({ self: node.peer, seeds: this.seeds, random: engine.random.fork(), ...(membershipConfig === undefined ? {} : { config: membershipConfig }) })
    const peers = new MembershipPeerLoad(membership.view)
    const trust = new CountingTrust(this.parts.trust?.(i, node.peer) ?? new TrustPolicy(), this.forgery)
    const deps: CacheProtocolDeps = { self: node.peer, sign: simSigner(node.peer), verify: simVerifier, peers, random: engine.random.fork(), trust }
    const overrides = cacheConfig ?? {}
    node.membership = membership
    node.peers = peers
    node.cache = createCache === undefined ? new CacheProtocol(deps, overrides) : createCache(deps, overrides)
    membership.start(engine.now)
    node.cache.start(engine.now)
    this.flush(i)
  }

  private noticeMembershipChanges (node: CacheSimNode): void {
    const view = node.membership?.view
    if (view === undefined || node.cache === undefined) return
    const live = new Set(view.liveMembers().map(m => m.peer))
    if (live.size === node.known.size && [...live].every(p => node.known.has(p))) return
    const now = this.parts.engine.now
    const cache = node.cache
    for (const peer of live) if (!node.known.has(peer)) cache.onPeerUp(peer, now)
    for (const peer of node.known) {
      if (live.has(peer)) continue
      cache.onPeerDown(peer, now)
      node.peers?.forget(peer)
    }
    node.known = live
  }

  private run (i: number, command: CacheCommand): void {
    switch (command.kind) {
      case 'fetch':
        this.forgery.fetchedFrom(i, command.peer, command.record === undefined)
        this.transfers.fetch(i, command.key, command.peer, command.deadline)
        break
      case 'cancelFetch': this.transfers.cancel(i, command.key, command.peer); break
      case 'answer': this.answer(i, command.key, command.outcome); break
      case 'push': for (const to of command.to) this.transfers.push(i, command.record, to); break
      case 'provide': this.dht?.provide(i, command.key); break
      case 'findProviders': this.dht?.findProviders(i, command.key); break
      case 'penalise': this.forgery.penalised(i, command.peer); break
    }
  }

  private answer (i: number, key: string, outcome: LookupOutcome): void {
    const node = this.node(i)
    const waiting = node.waiters.get(key) ?? 0
    node.waiters.delete(key)
    const served = outcome.hit ? node.store.get(key) : undefined
    for (let w = 0; w < waiting; w++) this.parts.observer.onAnswer(i, key, outcome, served, this.parts.engine.now)
  }

  private deliver (node: CacheSimNode, from: number, via: string, bytes: Uint8Array): void {
    // a partition that began while the message was on its way cuts it off too, as a real link would
    if (!this.parts.faults.reachable(from, node.index)) return
    const fromPeer = this.node(from).peer
    const now = this.parts.engine.now
    this.parts.engine.trace.event(now, EventKind.deliver, node.index, from, bytesHash(bytes))
    if (isCasVia(via)) {
      if (via === CAS_RESPONSE) this.transfers.onResponse(node.index, from, bytes)
      else this.transfers.onRequest(node.index, from, bytes)
      return
    }
    if (via === CACHE_TOPIC) this.forgery.at('announcement', () => node.cache?.onMessage(fromPeer, via, bytes, now))
    else if (via === CACHE_INDEX_PROTOCOL) this.forgery.at('index-page', () => node.cache?.onMessage(fromPeer, via, bytes, now))
    else node.membership?.onMessage(fromPeer, via, bytes, now)
    this.flush(node.index)
  }

  private fireTimer (node: CacheSimNode, event: SimEvent): void {
    const key = this.timers.take(node.timers, event)
    if (key === undefined) return
    const now = this.parts.engine.now
    if (key.startsWith(CACHE_PREFIX)) node.cache?.onTimer(key.slice(CACHE_PREFIX.length), now)
    else node.membership?.onTimer(key.slice(MEMBERSHIP_PREFIX.length), now)
    this.flush(node.index)
  }

  private apply (i: number, prefix: string, effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'send': {
          const target = this.index.get(e.to)
          if (target !== undefined) this.transport.send(i, target, e.protocolId, e.bytes)
          break
        }
        case 'publish': this.transport.publish(i, e.topic, e.bytes); break
        case 'setTimer': this.timers.set(this.node(i).timers, i, prefix + e.key, e.at); break
        case 'cancelTimer': this.node(i).timers.delete(prefix + e.key); break
      }
    }
  }

}
