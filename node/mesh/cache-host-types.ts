import type { PrivateKey } from '@libp2p/interface'
import type { CacheConfigOverrides, PullTiming, TrustPolicy } from '../../protocols/cache/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { Logger } from '../../src/config/logger.js'
import type { EventSink } from '../events/index.js'
import type { MeshLibp2p, TopicGuard } from '../libp2p/index.js'
import type { MembershipPeerLoad } from './peer-load.js'

/** What CacheHost (cache-host.ts) is given, what it is told, and what it counts. */

export interface CacheHostComponents {
  libp2p: MeshLibp2p
  guard: TopicGuard
  store: ContentStore
  privateKey: PrivateKey
  peers: MembershipPeerLoad
  logger: Logger
  /** Told about every peer fetch with its result (events, metrics). */
  events?: EventSink
}

export interface CacheHostInit {
  overrides?: CacheConfigOverrides
  trust?: TrustPolicy
  /** Largest blob fetched from a peer. */
  maxEntryBytes: number
  /** Fetches up to this size are verified in memory and answered from there while being stored (default 1 MiB). */
  inMemoryFetchBytes?: number
  /**
   * Bytes of bigger fetches verified in memory at once, and answered from there while being stored (default
   * VERIFIED_BODY_BUDGET_BYTES); a fetch past it streams into the store and is answered from the store.
   */
  verifiedBodyBudgetBytes?: number
  /** Timings of the blob protocol; tests shorten them. */
  timing?: CacheHostTiming
  /**
   * Where the own entries not yet on R replicas are kept across restarts (`<data>/replica-backlog.json`): a node
   * restarted offers them again. Without it they are kept in memory only.
   */
  replicaBacklogFile?: string
}

/**
 * The blob server's request deadline (a push offer lifts it once its pull is under way), a replica pull's body stall
 * limit, and its pace: window, minimum rate per pusher, absolute deadline's slack (`PullPace`).
 */
export interface CacheHostTiming {
  blobRequestTimeoutMs?: number
  replicaPullStallMs?: number
  replicaPull?: Partial<PullTiming>
}

/** What a GET waiting on a peer fetch gets: a miss, the entry now in the store, or its verified bytes. */
export type PeerFetchAnswer = boolean | Uint8Array

/** Counters of the driver side of cache sharing (the protocol keeps its own). */
export interface CacheHostStats {
  peerHits: number
  peerMisses: number
  fetchedBytes: number
  corruptRejected: number
  penalised: number
  replicasPushed: number
  /** Replica offers given up: the replica could not be reached, or stayed busy, for every try. */
  replicaPushesFailed: number
  replicasStored: number
}
