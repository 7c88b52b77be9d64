import type { Readable } from 'node:stream'

/** Gradle build cache keys: lowercase hex, 32 to 128 characters (design.md). */
export const GRADLE_KEY_PATTERN = /^[0-9a-f]{32,128}$/

/** What the index keeps for one key. */
export interface EntryMeta {
  /** The Gradle cache key, or a content key `sha256:<hex>` (keys.ts) for bytes stored under their own SHA-256. */
  key: string
  /** SHA-256 of the blob's bytes, lowercase hex: also the blob's name on disk. */
  sha256: string
  size: number
  /** Milliseconds since the epoch, from the store's clock. */
  lastAccess: number
  /** Peer ID of the node that produced the entry (absent for entries Gradle PUT locally before the mesh knew). */
  producer?: string
  /** Signature over the announcement record, base64 (issue 4 fills it). */
  signature?: string
}

export interface CasStats {
  entries: number
  bytes: number
  hits: number
  misses: number
  evictions: number
  puts: number
  quarantined: number
  /** Quarantined blobs deleted to keep quarantine/ within its limits (since the store opened). */
  quarantinePruned: number
  maxBytes: number
}

export interface PutOptions {
  producer?: string
  signature?: string
  /**
   * When given, the PUT fails with IntegrityError if the bytes hash to anything else (peer fetches). A PUT under a
   * content key always checks the SHA-256 it names (and refuses another one here with InvalidArgumentError).
   */
  expectedSha256?: string
  /**
   * The body is a Uint8Array the caller hashed itself, to `expectedSha256` (a peer fetch verified in memory): it is
   * written without being hashed again. Ignored for a streamed body and without the caller's own `expectedSha256`
   * (the SHA-256 a content key names is a claim about the bytes, not their hash).
   */
  bodyHashed?: boolean
  /** When given, the PUT fails with TooLargeError past this many bytes, and stores nothing. */
  maxSize?: number
  /** When given, the PUT fails with SizeMismatchError unless the body has exactly this many bytes (e.g. Content-Length), and stores nothing. */
  expectedSize?: number
  /**
   * fdatasync the blob before it is indexed (default: the store's `syncBlobs`). `false` for a copy
   * that can be fetched again (from a peer): a power loss may lose it, and since every read is
   * verified, a damaged copy is never served.
   */
  durable?: boolean
  signal?: AbortSignal
  /**
   * Asked once the bytes are hashed, before the entry is indexed: who produced them and the proof of their signed
   * record, indexed with the entry in the same write (signing after the put cost a second index write per PUT).
   * Undefined leaves the entry without them; `producer` and `signature` given as options are then kept.
   */
  proofOf?: (blob: { sha256: string, size: number }) => EntryProof | undefined
}

/** Who produced an entry and the proof of its signed record, as the store keeps them. */
export interface EntryProof {
  producer: string
  signature: string
}

/** Positional reads of a verified blob file; `OpenEntry.body` owns the file and closes it when destroyed. */
export interface BlobFileReader {
  /**
   * Fills `buffer` with the bytes from `position` on; fewer only at the end of the file. Fails once `body` is
   * destroyed; destroy it only when no read is pending (its descriptor is closed then, and may be reused).
   */
  read(buffer: Uint8Array, position: number): Promise<number>
}

export interface OpenEntry {
  meta: EntryMeta
  /** The verified bytes. Small entries are verified in memory before this resolves. */
  body: Readable
  /**
   * For small entries, the same verified bytes already in memory: a server may send these and ignore `body`.
   * Shared with later reads of the entry (they are not hashed again): never change them.
   */
  bytes?: Uint8Array
  /**
   * For entries streamed from their file, the same file for positional reads: a server may send it from buffers
   * of its own instead of reading `body` (no new buffer per chunk), then must still destroy `body`.
   */
  file?: BlobFileReader
}

/** The narrow view of the store that the HTTP cache server and the mesh need. */
export interface BlobStore {
  get(key: string, options?: { signal?: AbortSignal }): Promise<OpenEntry | undefined>
  /** A hit that needs no waiting (a small blob, verified), or undefined: then ask get(). A store may not have it. */
  getNow?(key: string): Uint8Array | undefined
  /** With `statBlob`, only an entry whose blob file is there with its size (not hashed: a GET may still find it corrupt). */
  head(key: string, options?: { statBlob?: boolean }): Promise<EntryMeta | undefined>
  put(key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options?: PutOptions): Promise<EntryMeta>
  stats(): CasStats
}
