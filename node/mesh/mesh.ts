import { P2pListenError } from '../errors.js'
import { randomInt } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { Membership, MEMBERSHIP_MAX_BYTES, type Load, type MembershipView } from '../../protocols/membership/index.js'
import { Xoshiro128 } from '../../protocols/core/index.js'
import type { CacheConfigOverrides, TrustPolicy } from '../../protocols/cache/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { Logger } from '../../src/config/logger.js'
import { createMeshLibp2p, mdnsChoice, TopicGuard, type MdnsChoice, type MeshLibp2p, type PeerDialerStats } from '../libp2p/index.js'
import { CacheHost, type CacheHostInit, type CacheHostTiming } from './cache-host.js'
import { MembershipPeerLoad } from './peer-load.js'
import { isCanonicalPeerId, seedPeers } from './peer-ids.js'
import { ProtocolHost } from './protocol-host.js'
import type { EventSink } from '../events/index.js'
import { ed25519Signer } from './signing.js'
import { JobsHost } from '../jobs/jobs-host.js'
import type { JobsConfig } from '../../protocols/jobs/index.js'
import type { ConnectivityInfo, MembershipStats } from '../../src/client/api-types.js'

/**
 * Jobs timing on real nodes: a unit costs its task count, about 2 s per task until the leader has
 * measured some, so speculation waits for real stragglers. Units take seconds, so queueing them
 * on workers hides no latency worth having, while speeds measured from a few units of uneven
 * length (a JVM start, a long test task) would pile units onto one node: units go to free slots only.
 */
const REAL_BUILD_JOBS_CONFIG: Partial<JobsConfig> = { initialMsPerCost: 2000, speculationSlackMs: 15_000, queueDepthPerSlot: 0 }

export interface MeshComponents {
  privateKey: PrivateKey
  store: ContentStore
  logger: Logger
  /** Told about peers up and down, rejected gossip and peer fetches (the node's event bus). */
  events?: EventSink
  /**
   * The libp2p node, already listening (listenForPeers with the same private key and init): the daemon listens before
   * it opens the store, so that a port taken fails the start before the store's start-up eviction. Made here otherwise.
   */
  libp2p?: MeshLibp2p
}

/**
 * The mesh's libp2p node, started: listening on `init.listen`, dialling `init.bootstrap`, mDNS per `init.mdns`. A
 * listen address taken or not on this machine is a P2pListenError. Stop it with `stop()` (Mesh.stop does).
 */
export async function listenForPeers (privateKey: PrivateKey, init: Pick<MeshInit, 'listen' | 'bootstrap' | 'mdns' | 'swarmKey'>): Promise<MeshLibp2p> {
  return await createMeshLibp2p({
    privateKey, listen: init.listen, bootstrap: init.bootstrap, mdns: init.mdns,
    ...(init.swarmKey == null ? {} : { swarmKey: init.swarmKey })
  }).catch((err: unknown) => {
    throw (err as Error)?.name === 'UnsupportedListenAddressesError' ? new P2pListenError(init.listen, err) : err
  })
}

export interface MeshInit {
  listen: string[]
  bootstrap: string[]
  swarmKey?: Uint8Array
  mdns: boolean
  /** Build slots offered (0: this node does not accept builds). */
  slots: number
  maxEntryBytes: number
  cache?: CacheConfigOverrides
  /** Test hook: the blob protocol's timings (cache-host.ts). */
  cacheTiming?: CacheHostTiming
  /** Test hook: which peer fetches are verified in memory and answered from there (cache-host.ts). */
  cacheMemory?: Pick<CacheHostInit, 'inMemoryFetchBytes' | 'verifiedBodyBudgetBytes'>
  trust?: TrustPolicy
  /** Where the own entries not yet on R replicas are kept across restarts (cache-host-types.ts); in memory only without it. */
  replicaBacklogFile?: string
  /** Distributed builds: where units run (`<data>/builds`) and the node's cache URL for their Gradle. */
  builds?: { workDir: string, cacheUrl: () => string, config?: Partial<JobsConfig>, gradleExecutable?: string }
}

/** One peer as `gmesh status` and `gmesh peers` show it. */
export interface PeerStatus {
  peerId: string
  status: string
  connected: boolean
  rttMs?: number
  load: Load
  addresses: string[]
}

/**
 * The node's part in the mesh: a libp2p node, membership (who is alive and how busy) and cache
 * sharing, each protocol the same sans-IO code the simulator runs.
 */
export class Mesh {
  private libp2p?: MeshLibp2p
  /** Whether mDNS runs and why not, as decided when the node started (createMeshLibp2p decides the same). */
  private mdns?: MdnsChoice
  private membership?: Membership
  private membershipHost?: ProtocolHost
  private peers?: MembershipPeerLoad
  private loadTimer?: NodeJS.Timeout
  private known = new Set<string>()
  cache?: CacheHost
  jobs?: JobsHost

  constructor (private readonly components: MeshComponents, private readonly init: MeshInit) {}

  get peerId (): string { return this.node.peerId.toString() }
  get multiaddrs (): string[] { return this.node.getMultiaddrs().map(a => a.toString()) }
  private get node (): MeshLibp2p {
    if (this.libp2p == null) throw new Error('the mesh is not started')
    return this.libp2p
  }

  async start (): Promise<void> {
    const { privateKey, store, logger, events } = this.components
    const libp2p = this.components.libp2p ?? await listenForPeers(privateKey, this.init)
    this.libp2p = libp2p
    const mdns = this.mdns = mdnsChoice(this.init.listen, this.init.mdns)
    if (this.init.mdns && !mdns.on) logger.info({ listen: this.init.listen }, `mDNS is off: ${mdns.reason}`)
    libp2p.services.handshakes.addEventListener('failure', ({ detail }) => {
      logger.debug({ direction: detail.direction, remoteAddr: detail.remoteAddr, err: detail.error },
        detail.timedOut ? 'a connection timed out in the handshake (idle, or a node overloaded)' : 'a connection failed in the handshake (another swarm key?)')
    })
    const guard = new TopicGuard(libp2p.services.pubsub, {
      onReject: rejection => {
        const peer = rejection.peer.toString()
        logger.debug({ topic: rejection.topic, peer, reason: rejection.reason }, 'gossip message rejected')
        events?.emit({ type: 'message-rejected', topic: rejection.topic, peer, reason: rejection.reason })
      },
      onJudgeError: (topic, err) => { logger.error({ err, topic }, 'a protocol failed on a gossip message: ignored') },
      // a member this node reached over a stream, not one that only signed a heartbeat (a fresh key can)
      isMember: author => isReachedMember(this.membership?.view, author.toString())
    })
    // A restarted node keeps its peer id: its incarnation starts from the wall clock (seconds; it must grow across
    // restarts, which the monotonic clock of the protocols does not), above the one its peers remember, so its new
    // records (load, liveness) are not taken for stale ones.
    const membership = new Membership({
      self: this.peerId, seeds: seedPeers(this.init.bootstrap, this.peerId), random: new Xoshiro128(randomInt(2 ** 31)), load: this.load(), restoredIncarnation: Math.floor(Date.now() / 1000),
      isPeerId: isCanonicalPeerId
    })
    this.membership = membership
    this.peers = new MembershipPeerLoad(membership.view)
    this.cache = new CacheHost({ libp2p, guard, store, privateKey, peers: this.peers, logger: logger.child({ part: 'cache-sharing' }), ...(events == null ? {} : { events }) },
      { maxEntryBytes: this.init.maxEntryBytes, ...(this.init.cache == null ? {} : { overrides: this.init.cache }), ...(this.init.trust == null ? {} : { trust: this.init.trust }),
        ...(this.init.cacheTiming == null ? {} : { timing: this.init.cacheTiming }), ...this.init.cacheMemory,
        ...(this.init.replicaBacklogFile == null ? {} : { replicaBacklogFile: this.init.replicaBacklogFile }) })
    this.membershipHost = new ProtocolHost({ libp2p, guard, logger: logger.child({ part: 'membership' }) }, membership, {
      maxMessageBytes: MEMBERSHIP_MAX_BYTES,
      afterInput: () => { this.noticeMembershipChanges() }
    })
    if (this.init.builds != null) this.jobs = this.createJobsHost(libp2p, guard, membership, this.init.builds)
    await this.cache.start()
    await this.membershipHost.start()
    await this.jobs?.start()
    this.loadTimer = setInterval(() => { membership.setLoad(this.load()) }, 2000).unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.loadTimer)
    await stopInOrder([this.jobs, this.membershipHost, this.cache, this.libp2p])
  }

  /** Peers discovered and dialled (bootstrap, mDNS, the DHT), and the dials that failed. */
  get discovery (): PeerDialerStats | undefined { return this.libp2p?.services.dialer.stats }

  /** How this node finds peers, and why its connection attempts failed (`gmesh status` hints from it). */
  get connectivity (): ConnectivityInfo | undefined {
    const mdns = this.mdns
    if (this.libp2p == null || mdns == null) return undefined
    const { dialer, handshakes } = this.libp2p.services
    return {
      privateMesh: this.init.swarmKey != null,
      mdns: mdns.on,
      ...(mdns.on ? {} : { mdnsOff: mdns.reason }),
      bootstrap: this.init.bootstrap.length,
      failures: { handshake: { ...handshakes.stats }, unreachable: dialer.stats.unreachable }
    }
  }

  /** The membership messages this node took, and those it ignored as replays or rejected. */
  get membershipStats (): MembershipStats | undefined {
    const m = this.membership
    return m == null ? undefined : { ...m.heard.snapshot(), staleBeats: m.staleBeats, rejected: m.rejected }
  }

  /** Live peers with their load and round-trip time. */
  peerList (): PeerStatus[] {
    if (this.membership == null || this.libp2p == null) return []
    const libp2p = this.libp2p
    return this.membership.view.liveMembers().map(member => {
      const connections = libp2p.getConnections().filter(c => c.remotePeer.toString() === member.peer)
      const rtt = this.peers?.rtt(member.peer)
      return {
        peerId: member.peer,
        status: member.status,
        connected: connections.length > 0,
        ...(rtt === undefined ? {} : { rttMs: Math.round(rtt * 10) / 10 }),
        load: member.load,
        addresses: connections.map(c => c.remoteAddr.toString())
      }
    })
  }

  private createJobsHost (libp2p: MeshLibp2p, guard: TopicGuard, membership: Membership, builds: NonNullable<MeshInit['builds']>): JobsHost {
    const { store, logger, events } = this.components
    return new JobsHost({ libp2p, guard, sign: ed25519Signer(this.components.privateKey), view: membership.view, store, logger: logger.child({ part: 'jobs' }), ...(events == null ? {} : { events }) }, {
      self: this.peerId,
      slots: this.init.slots,
      ...(this.init.trust == null ? {} : { trust: this.init.trust }),
      workDir: builds.workDir,
      cacheUrl: builds.cacheUrl,
      config: { ...REAL_BUILD_JOBS_CONFIG, ...builds.config },
      ...(builds.gradleExecutable == null ? {} : { gradleExecutable: builds.gradleExecutable }),
      afterInput: () => { membership.setLoad(this.load()) }
    })
  }

  private load (): Load {
    const cacheBytes = this.components.store.stats().bytes
    return this.jobs?.protocol.load(cacheBytes) ?? { capacity: this.init.slots, running: 0, queued: 0, cacheBytes }
  }

  /** Tells cache sharing who came and went, as membership learns it. */
  private noticeMembershipChanges (): void {
    const view = this.membership?.view
    if (view == null || this.cache == null) return
    const live = new Set(view.liveMembers().map(m => m.peer))
    for (const peer of live) {
      if (this.known.has(peer)) continue
      this.cache.peerUp(peer)
      this.components.events?.emit({ type: 'peer-up', peer })
    }
    for (const peer of this.known) {
      if (!live.has(peer)) {
        this.cache.peerDown(peer)
        this.jobs?.peerDown(peer)
        this.components.events?.emit({ type: 'peer-down', peer })
        this.peers?.forget(peer)
      }
    }
    this.known = live
  }
}

/** Whether `peer` is a live member of `view` that this node heard from over a stream (MemberInfo.reached). */
export function isReachedMember (view: MembershipView | undefined, peer: string): boolean {
  const member = view?.get(peer)
  return member !== undefined && member.status !== 'dead' && member.reached
}

/** Something with a `stop` lifecycle step. */
export interface Stoppable { stop: () => Promise<void> | void }

/**
 * Stops each part in turn, each even when one before it failed (a part left running, libp2p above all, keeps the
 * process alive and its port taken); then throws the failures, if any.
 */
export async function stopInOrder (parts: ReadonlyArray<Stoppable | undefined>): Promise<void> {
  const failures: unknown[] = []
  for (const part of parts) {
    try {
      await part?.stop()
    } catch (err) {
      failures.push(err)
    }
  }
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} parts of the mesh failed to stop`)
}
