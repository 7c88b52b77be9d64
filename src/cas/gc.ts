import type { BlobFiles } from './blob-files.js'
import { GcInterruptedError } from './errors.js'
import type { GcResult } from './store-options.js'

/**
 * Entries a gc evicts at a time: one index batch, then their blobs' unlinks. Small enough that a gc stops within
 * milliseconds of its abort (it finishes the chunk under way), big enough that the batches cost little.
 */
export const GC_CHUNK_ENTRIES = 128

export interface ChunkedGcOptions {
  /** Checked before each chunk: once aborted, the gc throws GcInterruptedError saying what it evicted. */
  signal: AbortSignal
  /** Told how many entries each chunk takes out of the store, as it does (the store's eviction counter). */
  onEvicted: (entries: number) => void
  chunkEntries?: number
}

/**
 * Evicts least-recently-used entries down to `targetBytes` a chunk at a time (BlobFiles.evict with a limit), each
 * chunk's entries leaving memory and the index before their blobs leave the disk: stopped between chunks, the store
 * holds no entry without its blob and no blob of an entry it evicted.
 */
export async function evictInChunks (blobs: BlobFiles, targetBytes: number, options: ChunkedGcOptions): Promise<GcResult> {
  const total: GcResult = { evicted: 0, freedBytes: 0 }
  const chunkEntries = options.chunkEntries ?? GC_CHUNK_ENTRIES
  for (;;) {
    if (options.signal.aborted) throw new GcInterruptedError(total, options.signal.reason)
    const { evicted, done } = blobs.evict(targetBytes, chunkEntries)
    if (evicted === 0) return total
    options.onEvicted(evicted)
    const chunk = await done
    total.evicted += chunk.evicted
    total.freedBytes += chunk.freedBytes
    // a chunk short of its limit reached the target (or met only pinned entries): the gc is done, aborted or not
    if (evicted < chunkEntries) return total
  }
}
