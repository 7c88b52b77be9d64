import type { EntryMeta } from './types.js'

interface BlobInfo {
  size: number
  keys: Set<string>
}

/**
 * The in-memory view of the index: entries in least-recently-used order (oldest first), blobs with the keys
 * that refer to them (a blob with no key is gone from here and due for deletion), pins, and the byte total.
 * Everything here is synchronous, so get/put never scan the LevelDB index.
 */
export class Catalog {
  private readonly entries = new Map<string, EntryMeta>()
  private readonly blobs = new Map<string, BlobInfo>()
  private readonly pins = new Map<string, number>()
  private totalBytes = 0
  /** Bytes of the pinned blobs held here, kept as pins and blobs come and go (a put must not walk every pin). */
  private pinnedTotal = 0

  get entryCount (): number { return this.entries.size }
  get blobCount (): number { return this.blobs.size }
  /** Bytes of the distinct blobs the entries refer to (what is on disk). */
  get bytes (): number { return this.totalBytes }

  get (key: string): EntryMeta | undefined {
    return this.entries.get(key)
  }

  hasBlob (sha256: string): boolean {
    return this.blobs.has(sha256)
  }

  blobSize (sha256: string): number | undefined {
    return this.blobs.get(sha256)?.size
  }

  /** Copies of every entry, least recently used first. */
  list (): EntryMeta[] {
    return [...this.entries.values()].map(meta => ({ ...meta }))
  }

  /** Snapshot of [sha256, size] of every blob. */
  blobList (): Array<[string, number]> {
    return [...this.blobs].map(([sha, info]) => [sha, info.size])
  }

  keysOf (sha256: string): string[] {
    return [...(this.blobs.get(sha256)?.keys ?? [])]
  }

  /** Marks `key` as just used: moves it to the most-recent end and sets its lastAccess. */
  touch (key: string, now: number): EntryMeta | undefined {
    const meta = this.entries.get(key)
    if (meta === undefined) return undefined
    this.entries.delete(key)
    meta.lastAccess = now
    this.entries.set(key, meta)
    return meta
  }

  /** Adds or replaces an entry (as most recently used). Returns the sha256 of a blob that lost its last key. */
  set (meta: EntryMeta): string | undefined {
    const orphaned = this.delete(meta.key)
    this.entries.set(meta.key, meta)
    let blob = this.blobs.get(meta.sha256)
    if (blob === undefined) {
      blob = { size: meta.size, keys: new Set() }
      this.blobs.set(meta.sha256, blob)
      this.totalBytes += meta.size
      if (this.pins.has(meta.sha256)) this.pinnedTotal += meta.size
    }
    blob.keys.add(meta.key)
    return orphaned === meta.sha256 ? undefined : orphaned
  }

  /** Removes an entry. Returns the sha256 of its blob if no other key refers to it any more. */
  delete (key: string): string | undefined {
    const meta = this.entries.get(key)
    if (meta === undefined) return undefined
    this.entries.delete(key)
    const blob = this.blobs.get(meta.sha256)
    if (blob === undefined) return undefined
    blob.keys.delete(key)
    if (blob.keys.size > 0) return undefined
    this.blobs.delete(meta.sha256)
    this.totalBytes -= blob.size
    if (this.pins.has(meta.sha256)) this.pinnedTotal -= blob.size
    return meta.sha256
  }

  /** Removes a blob and every entry that refers to it; returns those keys. */
  dropBlob (sha256: string): string[] {
    const keys = this.keysOf(sha256)
    for (const key of keys) this.delete(key)
    return keys
  }

  pin (sha256: string): void {
    const count = this.pins.get(sha256) ?? 0
    this.pins.set(sha256, count + 1)
    if (count === 0) this.pinnedTotal += this.blobs.get(sha256)?.size ?? 0
  }

  unpin (sha256: string): void {
    const count = this.pins.get(sha256) ?? 0
    if (count > 1) {
      this.pins.set(sha256, count - 1)
      return
    }
    if (count === 1) this.pinnedTotal -= this.blobs.get(sha256)?.size ?? 0
    this.pins.delete(sha256)
  }

  /** Bytes of the pinned blobs held here. */
  get pinnedBytes (): number {
    return this.pinnedTotal
  }

  isPinned (sha256: string): boolean {
    return this.pins.has(sha256)
  }

  /**
   * The byte total to evict down to with a budget of `budget` (after a put, an unpin, a gc without a target): the budget, raised by whatever pinned
   * blobs (snapshots of running jobs) hold beyond half of it. Pins then never squeeze cache entries below half
   * the budget; above that they are an overdraft, gone when unpinned.
   */
  evictionTarget (budget: number): number {
    return budget + Math.max(0, this.pinnedTotal - Math.floor(budget / 2))
  }

  /**
   * Removes least-recently-used entries whose blob is not pinned until the blobs fit in `targetBytes`, or `limit`
   * entries went. Returns the removed keys and the blobs that lost their last key (to delete from disk).
   */
  evictTo (targetBytes: number, limit = Infinity): { keys: string[], blobs: Array<{ sha256: string, size: number }> } {
    const keys: string[] = []
    const blobs: Array<{ sha256: string, size: number }> = []
    if (this.totalBytes <= targetBytes) return { keys, blobs }
    for (const [key, meta] of this.entries) {
      if (this.totalBytes <= targetBytes || keys.length >= limit) break
      if (this.pins.has(meta.sha256)) continue
      const orphaned = this.delete(key)
      keys.push(key)
      if (orphaned !== undefined) blobs.push({ sha256: orphaned, size: meta.size })
    }
    return { keys, blobs }
  }
}
