import type { BlobStore } from '../cas/types.js'

/**
 * The part of the content store that snapshots use (ContentStore has it all). Snapshot blobs are stored under
 * their own SHA-256 as key, so a file identical across snapshots is stored once.
 */
export interface SnapshotStore extends Pick<BlobStore, 'get' | 'head' | 'put'> {
  /** Protects a blob from eviction until unpinned; pins count. */
  pin(sha256: string): void
  unpin(sha256: string): void
}

/**
 * Whether the store holds the blob `sha256` under that key. The key space is shared with Gradle's cache,
 * whose PUTs (and peers' replica pushes) may put any bytes under a key that looks like a SHA-256: such an
 * entry is not the blob, and is replaced when the blob is stored.
 */
export async function holdsBlob (store: Pick<SnapshotStore, 'head'>, sha256: string): Promise<boolean> {
  return (await store.head(sha256))?.sha256 === sha256
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
