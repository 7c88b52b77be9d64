import { contentKey } from '../cas/keys.js'
import type { BlobStore, EntryMeta, OpenEntry, PutOptions } from '../cas/types.js'

/**
 * The part of the content store that snapshots use (ContentStore has it all). Snapshot blobs are stored under
 * their content key (`sha256:<hex>`), so a file identical across snapshots is stored once, and a Gradle PUT (or a
 * peer's replica push) under a key that looks like the same SHA-256 is another entry, which cannot replace it.
 */
export interface SnapshotStore extends Pick<BlobStore, 'get' | 'head' | 'put'> {
  /** Protects a blob from eviction until unpinned; pins count. */
  pin(sha256: string): void
  unpin(sha256: string): void
  /** The cache budget (ContentStore has it); a snapshot may take half of it. Without it snapshots are not limited. */
  stats?(): { maxBytes: number }
}

/** Whether the store holds the blob `sha256`. */
export async function holdsBlob (store: Pick<SnapshotStore, 'head'>, sha256: string): Promise<boolean> {
  return await store.head(contentKey(sha256)) !== undefined
}

/** The verified bytes of the blob `sha256`, or undefined when the store lacks it. */
export async function openBlob (store: Pick<SnapshotStore, 'get'>, sha256: string, options: { signal?: AbortSignal } = {}): Promise<OpenEntry | undefined> {
  return await store.get(contentKey(sha256), options)
}

/** Stores the blob `sha256`; bytes that hash to anything else are refused with IntegrityError and store nothing. */
export async function storeBlob (store: Pick<SnapshotStore, 'put'>, sha256: string, body: AsyncIterable<Uint8Array> | Uint8Array,
  options: Omit<PutOptions, 'expectedSha256' | 'bodyHashed' | 'producer' | 'signature'> = {}): Promise<EntryMeta> {
  return await store.put(contentKey(sha256), body, options)
}

/**
 * Pins every blob of `sha256s` (for a snapshot: its files and the manifest) and gives back the function that
 * unpins them, once, however often it is called. A submitter holds this while workers may still fetch; a worker
 * while its job runs.
 */
export function pinBlobs (store: SnapshotStore, sha256s: Iterable<string>): () => void {
  const pinned = [...new Set(sha256s)]
  for (const sha of pinned) store.pin(sha)
  let released = false
  return () => {
    if (released) return
    released = true
    for (const sha of pinned) store.unpin(sha)
  }
}
