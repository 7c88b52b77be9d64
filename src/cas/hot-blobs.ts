/** Verified bytes of recently read small blobs kept in memory by default (a 32 MiB budget). */
export const DEFAULT_HOT_BLOB_BYTES = 32 * 1024 * 1024

interface HotBlob {
  bytes: Buffer
  /** The file's stamp (dev, ino, size, mtime, ctime in ns) when the bytes were read and hashed. */
  stamp: string
}

/**
 * Small blobs that were read and hashed recently, least recently used first, within a byte budget. A copy is
 * served only while the file's stamp is unchanged, so any write to the file still forces a read and a hash
 * (verify-on-read stays the rule); what is saved is the read, the hash and the buffer of each repeated hit.
 */
export class HotBlobs {
  private readonly blobs = new Map<string, HotBlob>()
  private total = 0

  constructor (private readonly budgetBytes = DEFAULT_HOT_BLOB_BYTES) {}

  get bytes (): number { return this.total }
  get count (): number { return this.blobs.size }

  /** The bytes kept for `sha256` if the file still has `stamp`; a copy with another stamp is dropped. */
  get (sha256: string, stamp: string): Buffer | undefined {
    const hot = this.blobs.get(sha256)
    if (hot === undefined) return undefined
    this.blobs.delete(sha256)
    if (hot.stamp !== stamp) {
      this.total -= hot.bytes.byteLength
      return undefined
    }
    this.blobs.set(sha256, hot)
    return hot.bytes
  }

  /** Keeps verified `bytes` read from a file with `stamp`, evicting the least recently used past the budget. */
  set (sha256: string, stamp: string, bytes: Buffer): void {
    if (bytes.byteLength > this.budgetBytes) return
    this.forget(sha256)
    this.blobs.set(sha256, { bytes, stamp })
    this.total += bytes.byteLength
    for (const [oldest, hot] of this.blobs) {
      if (this.total <= this.budgetBytes) break
      this.blobs.delete(oldest)
      this.total -= hot.bytes.byteLength
    }
  }

  forget (sha256: string): void {
    const hot = this.blobs.get(sha256)
    if (hot === undefined) return
    this.blobs.delete(sha256)
    this.total -= hot.bytes.byteLength
  }
}
