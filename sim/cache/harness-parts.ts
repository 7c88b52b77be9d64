import type { PeerId } from '../../protocols/core/index.js'
import type { CacheConfigOverrides, CacheProtocol, CacheProtocolDeps, FetchResult, LookupOutcome } from '../../protocols/cache/index.js'
import type { Membership, MembershipConfig } from '../../protocols/membership/index.js'
import type { MembershipPeerLoad } from '../../node/mesh/peer-load.js'
import type { DhtModel } from '../dht.js'
import type { Engine, SimEvent } from '../engine/index.js'
import type { GossipModel } from '../gossip.js'
import type { FaultState, Links } from '../network/index.js'
import type { StoredBlob } from './blobs.js'
import type { TrustFactory } from './trust.js'

/** Builds a node's cache protocol; tests pass deliberately broken variants here. */
export type CacheFactory = (deps: CacheProtocolDeps, overrides: CacheConfigOverrides) => CacheProtocol

/** Watches what the nodes' drivers see (the invariant checker implements it). */
export interface CacheObserver {
  /** A GET missed the local store and now waits on the mesh until `deadline`. */
  onGet: (node: number, key: string, deadline: number, now: number) => void
  /** The lookup answered; on a hit `served` is what the node's store now serves. */
  onAnswer: (node: number, key: string, outcome: LookupOutcome, served: StoredBlob | undefined, now: number) => void
  /** A lookup's fetch went out to `peer`. */
  onFetchStart?: (node: number, key: string, peer: PeerId, now: number) => void
  /** Its header was accepted: the body streams from now on. */
  onBodyStart?: (node: number, key: string, peer: PeerId, now: number) => void
  /** The provider answered the fetch's header `busy` (the fetch then ends as refused). */
  onBusy?: (node: number, key: string, peer: PeerId, now: number) => void
  /** The driver told the lookup that the body has brought `bytes` so far. */
  onBodyProgress?: (node: number, key: string, peer: PeerId, bytes: number, now: number) => void
  /** A fetch ended as the driver reported it to the protocol (`accepted`: its header was accepted). */
  onFetchResult: (node: number, key: string, peer: PeerId, result: FetchResult, accepted: boolean, now: number) => void
  /** A node's store gained an entry and the node announced it. */
  onHeld: (node: number, key: string, now: number) => void
  /** A GET hit the node's own store, which serves `served`. */
  onLocalHit?: (node: number, key: string, served: StoredBlob | undefined, now: number) => void
  /** The node paused (a laptop's lid closed: it handles nothing) or resumed. */
  onPause?: (node: number, paused: boolean, now: number) => void
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
  /** Honest nodes whose uploads drip (a header, then a few bytes a second): see `NodeBandwidth`. */
  readonly drippers?: ReadonlySet<number>
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
  /** Events that reached the node while it was paused, handled when it resumes. */
  pending: SimEvent[]
  /** Driver calls that came due while it was paused (a fetch's end), made when it resumes. */
  deferred: Array<() => void>
}
