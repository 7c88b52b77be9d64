import { Xoshiro128 } from '../../protocols/core/index.js'
import type { Effect, PeerId } from '../../protocols/core/index.js'
import { CACHE_INDEX_PROTOCOL, CACHE_TOPIC, CAS_PROTOCOL, CacheProtocol, TrustPolicy } from '../../protocols/cache/index.js'
import type { CacheCommand, CacheProtocolDeps, LookupOutcome } from '../../protocols/cache/index.js'
import { Membership } from '../../protocols/membership/index.js'
import { MembershipPeerLoad } from '../../node/mesh/peer-load.js'
import { EventKind, bytesHash } from '../engine/index.js'
import type { Engine, EventHandler, SimEvent } from '../engine/index.js'
import { simPeerId } from '../peers.js'
import { TimerBook, readyUnderFaults } from '../node-events.js'
import { Transport } from '../transport.js'
import { NodeBandwidth } from './bandwidth.js'
import { simSigner, simVerifier } from './blobs.js'
import type { SimEntry } from './blobs.js'
import type { CacheHarnessParts, CacheSimNode } from './harness-parts.js'
import { BlobTransfers, CAS_RESPONSE, isCasVia } from './transfers.js'
import { SimDht } from './sim-dht.js'
import { CountingTrust, ForgeryLedger } from './trust.js'

export type { CacheFactory, CacheHarnessParts, CacheObserver, CacheSimNode } from './harness-parts.js'

const SEEDS = 5
const MEMBERSHIP_PREFIX = 'm|'
const CACHE_PREFIX = 'c|'

/** Runs Membership and the cache protocol on every virtual node through the calls cache-host.ts makes. */
export class CacheHarness implements EventHandler {
  readonly nodes: CacheSimNode[] = []
  readonly transport: Transport
  readonly transfers: BlobTransfers
  readonly bandwidth: NodeBandwidth
  readonly injected = { crashes: 0, pauses: 0 }
  /** Providers the lookups abandoned for a stalled body (`stalled-body` penalties). */
  stalledBodies = 0
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
      this.nodes.push({ index: i, peer, membership: undefined, cache: undefined, peers: undefined, store: new Map(), known: new Set(), timers: new Map(), waiters: new Map(), pending: [], deferred: [] })
      this.index.set(peer, i)
      if (i < SEEDS) this.seeds.push(peer)
    }
    this.forgery = new ForgeryLedger(new Set([...parts.forgers ?? []].map(simPeerId)), new Set([...parts.malicious].map(simPeerId)))
    // a stream of its own: the cards do not shift the draws of the workload and the faults
    this.bandwidth = new NodeBandwidth(size, new Xoshiro128((parts.engine.seed ^ 0x2545f491) >>> 0), parts.drippers)
    this.transfers = new BlobTransfers(this)
    this.dht = parts.dht === undefined
      ? undefined
      : new SimDht({
        ...parts,
        size,
        node: i => this.node(i),
        deliverProviders: (i, key, providers) => { this.whenLive(i, () => { this.input(i, (cache, now) => { cache.onProvidersFound(key, providers, now, true) }) }) }
      }, parts.dht)
  }

  startAll (): void {
    for (let i = 0; i < this.size; i++) this.boot(i)
  }

  node (i: number): CacheSimNode { return this.nodes[i] as CacheSimNode }
  indexOf (peer: PeerId): number | undefined { return this.index.get(peer) }
  isUp (i: number): boolean { return this.parts.faults.up[i] === 1 }
  isLive (i: number): boolean { return this.parts.faults.isLive(i) }
  /** Malicious providers and forgers: they PUT and GET nothing of the workload. */
  isAdversary (i: number): boolean { return this.parts.malicious.has(i) || this.parts.forgers?.has(i) === true }

  /** Runs `call` now on a live node, at its resume on a paused one, never on a crashed one. */
  whenLive (i: number, call: () => void): void {
    if (!this.isUp(i)) return
    if (this.parts.faults.paused[i] === 1) this.node(i).deferred.push(call)
    else call()
  }

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
    const record = this.input(i, (cache, now) => cache.localPut({ gradleKey: entry.key, sha256: entry.sha256, size: entry.bytes.length, time: Math.floor(now) }, now))
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
    const { faults, engine } = this.parts
    if (!this.isUp(i)) return
    this.injected.crashes++
    Object.assign(node, { membership: undefined, cache: undefined, timers: new Map(), pending: [], deferred: [] })
    node.waiters.clear()
    faults.up[i] = 0
    faults.paused[i] = 0
    faults.downSince[i] = engine.now
    faults.disturbedAt[i] = engine.now
    this.transfers.forget(i)
  }

  /** A laptop's lid closes: the node handles nothing (its events wait), its bodies stop moving both ways. */
  pause (i: number): void {
    const { faults, engine } = this.parts
    if (!faults.isLive(i)) return
    this.injected.pauses++
    faults.paused[i] = 1
    faults.disturbedAt[i] = engine.now
    this.transfers.flows.refresh(i)
    this.parts.observer.onPause?.(i, true, engine.now)
  }

  /** The lid opens: what arrived or fell due meanwhile is handled now, in order; its bodies move again. */
  resume (i: number): void {
    const { faults, engine } = this.parts
    if (faults.paused[i] === 0 || !this.isUp(i)) return
    faults.paused[i] = 0
    faults.disturbedAt[i] = engine.now
    const node = this.node(i)
    const [held, calls] = [node.pending, node.deferred]
    Object.assign(node, { pending: [], deferred: [] })
    for (const event of held) engine.requeue(event, engine.now)
    engine.at(engine.now, () => { for (const call of calls) this.whenLive(i, call) })
    this.transfers.flows.refresh(i)
    this.parts.observer.onPause?.(i, false, engine.now)
  }

  handle (event: SimEvent): void {
    const { engine, faults } = this.parts
    if (event.kind === EventKind.gossipWave) {
      const { gossip, links } = this.parts
      const miss = gossip.missProbability(links.profile.loss)
      for (const r of event.list as number[]) {
        if (miss > 0 && engine.random.nextFloat() < miss) continue
        if (faults.paused[r] === 1) this.node(r).pending.push(heldWave(engine, r, event))
        else if (this.isUp(r)) this.deliver(this.node(r), event.from, event.key as string, event.bytes as Uint8Array)
      }
      return
    }
    if (!this.isUp(event.node) && event.kind === EventKind.deliver && event.key === CAS_PROTOCOL) {
      this.transfers.refused(event.node, event.from, event.bytes as Uint8Array)
      return
    }
    if (!readyUnderFaults(event, faults, engine, this.node(event.node).pending)) return
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
        this.transfers.fetch(i, command.key, command.peer, command.attempt, command.deadline)
        break
      case 'cancelFetch': this.transfers.cancel(i, command.key, command.peer, command.attempt); break
      case 'answer': this.answer(i, command.key, command.outcome); break
      case 'push': for (const to of command.to) this.transfers.push(i, command.record, to); break
      case 'provide': this.dht?.provide(i, command.key); break
      case 'findProviders': this.dht?.findProviders(i, command.key); break
      case 'penalise':
        if (command.reason === 'stalled-body') this.stalledBodies++
        else this.forgery.penalised(i, command.peer)
        break
    }
  }

  private answer (i: number, key: string, outcome: LookupOutcome): void {
    const node = this.node(i)
    const waiting = node.waiters.get(key) ?? 0
    node.waiters.delete(key)
    this.transfers.lookupAnswered(i, key)
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

/** A gossip wave's delivery to a paused node, as a direct event it handles on resume. */
function heldWave (engine: Engine, node: number, wave: SimEvent): SimEvent {
  const event = engine.event(engine.now, EventKind.deliver)
  event.node = node
  event.from = wave.from
  event.key = wave.key
  event.bytes = wave.bytes
  return event
}
