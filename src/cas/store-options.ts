import type { CasLogger } from './logger.js'

/** A node's cache budget unless `--cache-max` says otherwise. */
export const DEFAULT_CACHE_MAX = 5 * 1024 ** 3

/** The smallest budget `gmesh up --cache-max` takes: one below it is a typo (a bare number is bytes), not a cache. */
export const MIN_CACHE_MAX = 1024 ** 2

export interface ContentStoreOptions {
  /** Directory of the store; created if missing. */
  dir: string
  /** Size budget of the blobs in bytes; least-recently-used entries are evicted past it. */
  maxBytes: number
  /** Clock for lastAccess, milliseconds since the epoch. */
  now?: () => number
  logger?: CasLogger
  /** Blobs up to this size are hashed on every read (default 1 MiB). */
  smallBlobBytes?: number
  /**
   * Memory for the verified bytes of recently read small blobs (up to 64 KiB each), served again while their file
   * is unchanged (default 32 MiB; 0 keeps none).
   */
  hotBytes?: number
  /**
   * fdatasync every blob before it is renamed into place and indexed (default true). Only for measuring or for
   * throwaway caches: without it a power loss can leave a blob with the right name and wrong bytes, which
   * verify-on-read then quarantines (a process crash loses nothing either way: the page cache survives it).
   */
  syncBlobs?: boolean
  /**
   * fsync the blob's directory after the rename (default false). Blob contents are always fdatasynced before
   * the rename; the directory fsync only makes the new name itself survive power loss, and costs about half the
   * PUT throughput with concurrent PUTs. Without it a power loss can lose the newest names; start-up recovery
   * then drops their index entries, so the index still never points at a missing blob.
   */
  syncDirs?: boolean
  /** How often lastAccess updates are written behind to the index (default 5 s). */
  accessFlushMs?: number
  /** Blobs that failed verification kept in quarantine/ for inspection, the newest (default 100); older ones are deleted. */
  quarantineMaxFiles?: number
  /** Bytes kept in quarantine/, the newest blobs' (default 512 MiB). */
  quarantineMaxBytes?: number
}

export interface GcResult { evicted: number, freedBytes: number }
export interface VerifyResult { checked: number, quarantined: number }
