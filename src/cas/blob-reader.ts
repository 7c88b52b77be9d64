import { createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { Readable } from 'node:stream'
import type { StoreLayout } from './layout.js'

/** Blobs up to this size are read whole, hashed and served from memory on every read. */
export const DEFAULT_SMALL_BLOB_BYTES = 1024 * 1024

const HASH_CHUNK = 1024 * 1024

export type ReadResult =
  | { kind: 'ok', body: Readable, bytes?: Buffer }
  | { kind: 'missing' }
  | { kind: 'corrupt', ino: bigint }

export type CheckResult = { kind: 'ok' } | { kind: 'missing' } | { kind: 'corrupt', ino: bigint }

/**
 * Verify-on-read. Small blobs are hashed on every read. A big blob is hashed once, then its stamp
 * (dev, ino, size, mtime, ctime in ns) is remembered and the file is streamed without hashing while the
 * stamp still matches; any write to the file changes the stamp and forces a new hash.
 */
export class BlobReader {
  private readonly layout: StoreLayout
  private readonly smallBytes: number
  private readonly stamps = new Map<string, string>()

  constructor (layout: StoreLayout, smallBytes = DEFAULT_SMALL_BLOB_BYTES) {
    this.layout = layout
    this.smallBytes = smallBytes
  }

  /** Opens a blob for reading, verified; never returns bytes that do not hash to `sha256`. */
  async read (sha256: string, size: number): Promise<ReadResult> {
    const handle = await openOrMissing(this.layout.blobPath(sha256))
    if (handle === undefined) return { kind: 'missing' }
    try {
      if (size <= this.smallBytes) return await this.readSmall(handle, sha256, size)
      const result = await this.checkOpen(handle, sha256, size)
      if (result.kind !== 'ok') {
        await handle.close()
        return result
      }
      return { kind: 'ok', body: handle.createReadStream({ start: 0, autoClose: true }) }
    } catch (err) {
      await handle.close().catch(() => {})
      throw err
    }
  }

  /** Hashes the blob unless its stamp shows it is unchanged since its last successful hash. */
  async check (sha256: string, size: number, options: { force?: boolean } = {}): Promise<CheckResult> {
    const handle = await openOrMissing(this.layout.blobPath(sha256))
    if (handle === undefined) return { kind: 'missing' }
    try {
      if (options.force === true) this.stamps.delete(sha256)
      return await this.checkOpen(handle, sha256, size)
    } finally {
      await handle.close()
    }
  }

  /** Records that the file at the blob's path is known good (the store just wrote and hashed it). */
  async trust (sha256: string): Promise<void> {
    const handle = await openOrMissing(this.layout.blobPath(sha256))
    if (handle === undefined) return
    try {
      this.stamps.set(sha256, stampOf(await handle.stat({ bigint: true })))
    } finally {
      await handle.close()
    }
  }

  forget (sha256: string): void {
    this.stamps.delete(sha256)
  }

  private async readSmall (handle: FileHandle, sha256: string, size: number): Promise<ReadResult> {
    // one byte more than expected: a single short read proves the file ends where it should
    const buffer = Buffer.allocUnsafe(size + 1)
    let filled = 0
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    const bytes = buffer.subarray(0, filled)
    if (filled !== size || createHash('sha256').update(bytes).digest('hex') !== sha256) {
      const { ino } = await handle.stat({ bigint: true })
      await handle.close()
      return { kind: 'corrupt', ino }
    }
    await handle.close()
    return { kind: 'ok', body: Readable.from([bytes], { objectMode: false }), bytes }
  }

  private async checkOpen (handle: FileHandle, sha256: string, size: number): Promise<CheckResult> {
    const before = await handle.stat({ bigint: true })
    const stamp = stampOf(before)
    if (this.stamps.get(sha256) === stamp) return { kind: 'ok' }
    if (before.size !== BigInt(size) || await hashHandle(handle) !== sha256) {
      this.stamps.delete(sha256)
      return { kind: 'corrupt', ino: before.ino }
    }
    const after = stampOf(await handle.stat({ bigint: true }))
    if (after === stamp) this.stamps.set(sha256, stamp)
    return { kind: 'ok' }
  }
}

function stampOf (s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
}

async function hashHandle (handle: FileHandle): Promise<string> {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(HASH_CHUNK)
  let position = 0
  while (true) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
    if (bytesRead === 0) break
    hash.update(buffer.subarray(0, bytesRead))
    position += bytesRead
  }
  return hash.digest('hex')
}

async function openOrMissing (path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
