import { raceSignal } from 'race-signal'
import { InvalidManifestError, MissingBlobsError } from './errors.js'
import { decodeManifest, manifestTotals, MAX_MANIFEST_BYTES, type Manifest } from './manifest.js'
import { forEachLimited } from './pool.js'
import { checkSnapshotSize, snapshotBudget } from './size-budget.js'
import { holdsBlob, openBlob, pinBlobs, storeBlob, type SnapshotStore } from './store-view.js'

/**
 * Gets the bytes of one blob from wherever the snapshot lives (the submitter, over the mesh). The store verifies
 * them against `sha256` and `size` while it writes them, so a fetcher needs no checks of its own.
 */
export type FetchBlob = (sha256: string, options: { size?: number, signal?: AbortSignal }) => Promise<AsyncIterable<Uint8Array> | Uint8Array>

export interface TransferResult {
  /** Blobs fetched and stored. */
  fetched: number
  /** Their bytes. */
  bytes: number
  /** Blobs the store already had. */
  present: number
}

/** The distinct file blobs of `manifest` that `store` lacks, sorted. */
export async function missingBlobs (manifest: Manifest, store: Pick<SnapshotStore, 'head'>): Promise<string[]> {
  const missing: string[] = []
  for (const sha256 of manifestTotals(manifest).blobs.keys()) {
    if (!await holdsBlob(store, sha256)) missing.push(sha256)
  }
  return missing.sort()
}

/** Blob fetches in flight on one node, by SHA-256: units that start together fetch each blob once. */
export type BlobFetches = Map<string, Promise<void>>

/**
 * Fetches only the blobs the store lacks (incremental transfer), each verified by the store against its sha256
 * and size; a wrong blob fails with the store's IntegrityError or SizeMismatchError and stores nothing.
 * Pin the snapshot first (pinSnapshot), so nothing fetched is evicted before the job uses it. With `shared`, a
 * blob another call is fetching is waited for instead of fetched again (and fetched here if that one fails); this
 * call's `signal` ends its wait, not that fetch.
 * A snapshot whose files add up to more than `maxBytes` (default: half the store's cache budget) is refused with
 * SnapshotTooLargeError before anything is fetched.
 */
export async function fetchMissing (manifest: Manifest, store: SnapshotStore, fetchBlob: FetchBlob,
  options: { signal?: AbortSignal, concurrency?: number, shared?: BlobFetches, maxBytes?: number } = {}): Promise<TransferResult> {
  checkSnapshotSize(manifest.entries.flatMap(entry => entry.type === 'file' ? [entry] : []), options.maxBytes ?? snapshotBudget(store))
  const { blobs } = manifestTotals(manifest)
  const missing = await missingBlobs(manifest, store)
  let bytes = 0
  let fetched = 0
  await forEachLimited(missing, options.concurrency ?? 4, async sha256 => {
    options.signal?.throwIfAborted()
    const other = options.shared?.get(sha256)
    // a cancelled unit stops waiting at once: the other's fetch may take its whole deadline
    if (other !== undefined && await raceSignal(other.then(() => true, () => false), options.signal) && await holdsBlob(store, sha256)) return
    options.signal?.throwIfAborted()
    const size = blobs.get(sha256)!
    const fetching = (async () => {
      const body = await fetchBlob(sha256, { size, signal: options.signal })
      await storeBlob(store, sha256, body, { expectedSize: size, durable: false, signal: options.signal })
    })()
    options.shared?.set(sha256, fetching)
    try {
      await fetching
    } finally {
      if (options.shared?.get(sha256) === fetching) options.shared.delete(sha256)
    }
    bytes += size
    fetched++
  })
  return { fetched, bytes, present: blobs.size - missing.length }
}

/** The manifest of snapshot `id`, fetched first if the store lacks it; refused past MAX_MANIFEST_BYTES. */
export async function fetchManifest (id: string, store: SnapshotStore, fetchBlob: FetchBlob, options: { signal?: AbortSignal } = {}): Promise<Manifest> {
  if (!await holdsBlob(store, id)) {
    const body = await fetchBlob(id, { signal: options.signal })
    await storeBlob(store, id, body, { maxSize: MAX_MANIFEST_BYTES, signal: options.signal })
  }
  return await loadManifest(id, store, options)
}

/** Reads and checks the manifest of snapshot `id` from the store. */
export async function loadManifest (id: string, store: Pick<SnapshotStore, 'get'>, options: { signal?: AbortSignal } = {}): Promise<Manifest> {
  const entry = await openBlob(store, id, options)
  if (entry === undefined) throw new MissingBlobsError([id])
  if (entry.meta.size > MAX_MANIFEST_BYTES) {
    if (entry.bytes === undefined) entry.body.destroy()
    throw new InvalidManifestError(`${entry.meta.size} bytes is over the limit of ${MAX_MANIFEST_BYTES}`)
  }
  let bytes = entry.bytes
  if (bytes === undefined) {
    const chunks: Uint8Array[] = []
    for await (const chunk of entry.body) chunks.push(chunk as Uint8Array)
    bytes = Buffer.concat(chunks)
  }
  return decodeManifest(bytes, { expectedId: id })
}

/**
 * Pins the manifest and every file blob of a snapshot; returns the function that unpins them. The submitter
 * holds it while workers may fetch; a worker from before fetchMissing until its job's workspace is gone.
 */
export function pinSnapshot (store: SnapshotStore, id: string, manifest: Manifest): () => void {
  return pinBlobs(store, [id, ...manifestTotals(manifest).blobs.keys()])
}
