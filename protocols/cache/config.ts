import type { Millis } from '../core/index.js'
import { DEFAULT_ANNOUNCER } from './announcer.js'
import type { AnnouncerConfig } from './announcer.js'
import { DEFAULT_INDEX_SYNC } from './index-sync.js'
import type { IndexSyncConfig } from './index-sync.js'
import { DEFAULT_LOOKUP, DHT_MIN_PEERS } from './lookup.js'
import type { LookupConfig } from './lookup.js'
import { DEFAULT_PROVIDER_INDEX } from './provider-index.js'
import type { ProviderIndexConfig } from './provider-index.js'
import { DEFAULT_REPLICATION } from './rendezvous.js'
import type { ReplicationConfig } from './rendezvous.js'
import { DEFAULT_REPLICA_RETRY } from './replica-backlog.js'
import type { ReplicaRetryConfig } from './replica-backlog.js'

export interface CacheProtocolConfig {
  readonly index: ProviderIndexConfig
  readonly lookup: LookupConfig
  readonly announcer: AnnouncerConfig
  readonly sync: IndexSyncConfig
  readonly replication: ReplicationConfig
  /** Own entries short of R confirmed replicas: how they are offered again. */
  readonly replicaRetry: ReplicaRetryConfig
  /** Announce entries this node fetched or received as a replica (more providers, spread load). */
  readonly announceHeld: boolean
  /** Emit DHT `provide` commands once the mesh has at least this many live nodes (Infinity: never). */
  readonly dhtProvideMinPeers: number
  /** How often expired index claims are swept out. */
  readonly sweepIntervalMs: Millis
  /** Deadline of a GET's peer lookup when the caller gives none (Gradle gives up on the remote cache after 30 s of silence). */
  readonly defaultGetDeadlineMs: Millis
}

export const DEFAULT_CACHE_CONFIG: CacheProtocolConfig = Object.freeze({
  index: DEFAULT_PROVIDER_INDEX,
  lookup: DEFAULT_LOOKUP,
  announcer: DEFAULT_ANNOUNCER,
  sync: DEFAULT_INDEX_SYNC,
  replication: DEFAULT_REPLICATION,
  replicaRetry: DEFAULT_REPLICA_RETRY,
  announceHeld: true,
  dhtProvideMinPeers: DHT_MIN_PEERS,
  sweepIntervalMs: 10 * 60 * 1000,
  defaultGetDeadlineMs: 2000
})

/** Shallow overrides per section, e.g. `{ replication: { replicas: 2 } }`. */
export type CacheConfigOverrides = {
  readonly [K in keyof CacheProtocolConfig]?: CacheProtocolConfig[K] extends object ? Partial<CacheProtocolConfig[K]> : CacheProtocolConfig[K]
}

export function resolveCacheConfig (overrides: CacheConfigOverrides = {}): CacheProtocolConfig {
  const d = DEFAULT_CACHE_CONFIG
  return {
    index: { ...d.index, ...overrides.index },
    lookup: { ...d.lookup, ...overrides.lookup },
    announcer: { ...d.announcer, ...overrides.announcer },
    sync: { ...d.sync, ...overrides.sync },
    replication: { ...d.replication, ...overrides.replication },
    replicaRetry: { ...d.replicaRetry, ...overrides.replicaRetry },
    announceHeld: overrides.announceHeld ?? d.announceHeld,
    dhtProvideMinPeers: overrides.dhtProvideMinPeers ?? d.dhtProvideMinPeers,
    sweepIntervalMs: overrides.sweepIntervalMs ?? d.sweepIntervalMs,
    defaultGetDeadlineMs: overrides.defaultGetDeadlineMs ?? d.defaultGetDeadlineMs
  }
}
