import { createHash } from 'node:crypto'
import fs, { type BigIntStats } from 'node:fs'
import type { Readable } from 'node:stream'
import { closeFd, fstatBig, isMissing, openFd, readFully, readFullySync } from './fs-calls.js'
import { HotBlobs } from './hot-blobs.js'
import type { StoreLayout } from './layout.js'
import type { BlobFileReader } from './types.js'

/** Blobs up to this size are read whole, hashed and served from memory on every read. */
export const DEFAULT_SMALL_BLOB_BYTES = 1024 * 1024
/** Blobs up to this size are read with blocking calls (as nginx does): microseconds from the page cache. */
export const DEFAULT_SYNC_READ_BYTES = 64 * 1024

const HASH_CHUNK = 1024 * 1024
const STREAM_CHUNK = 512 * 1024

export type ReadResult =
  | { kind: 'ok', bytes: Buffer }
  | { kind: 'ok', stream: Readable, file: BlobFileReader }
  | { kind: 'missing' }
  | { kind: 'corrupt', ino: bigint }

export type CheckResult = { kind: 'ok' } | { kind: 'missing' } | { kind: 'corrupt', ino: bigint }

/**
 * Verify-on-read. Small blobs are hashed on every read. A big blob is hashed once, then its stamp
 * (dev, ino, size, mtime, ctime in ns) is remembered and the file is streamed without hashing while the
 * stamp still matches; any write to the file changes the stamp and forces a new hash. The verified bytes of
 * recently read blobs up to the sync-read size stay in memory (`HotBlobs`) under the same stamp rule.
 */
export class BlobReader {
  private readonly layout: StoreLayout
  private readonly smallBytes: number
  private readonly syncBytes: number
  private readonly stamps = new Map<string, string>()
  private readonly hashing = new Map<string, Promise<boolean>>()
  private readonly hot: HotBlobs

  constructor (layout: StoreLayout, options: { smallBytes?: number, syncBytes?: number, hotBytes?: number } = {}) {
    this.layout = layout
    this.smallBytes = options.smallBytes ?? DEFAULT_SMALL_BLOB_BYTES
    this.syncBytes = Math.min(options.syncBytes ?? DEFAULT_SYNC_READ_BYTES, this.smallBytes)
    this.hot = new HotBlobs(options.hotBytes)
  }

  /** Opens a blob for reading, verified; never returns bytes that do not hash to `sha256`. */
  async read (sha256: string, size: number): Promise<ReadResult> {
    if (size <= this.syncBytes) return this.readSmallSync(sha256, size)
    const fd = await openOrMissing(this.layout.blobPath(sha256))
    if (fd === undefined) return { kind: 'missing' }
    let streaming = false
    try {
      if (size <= this.smallBytes) return await this.readSmall(fd, sha256, size)
      const result = await this.checkOpen(fd, sha256, size)
      if (result.kind !== 'ok') return result
      streaming = true
      return streamOf(fd)
    } finally {
      if (!streaming) await closeFd(fd)
    }
  }

  /**
   * The verified bytes of a blob small enough to be read with blocking calls, read at once; undefined for a bigger
   * one, or one missing, corrupt or unreadable (read() then meets that again, and reports it).
   */
  readNow (sha256: string, size: number): Buffer | undefined {
    if (size > this.syncBytes) return undefined
    try {
      const result = this.readSmallSync(sha256, size)
      return result.kind === 'ok' && 'bytes' in result ? result.bytes : undefined
    } catch {
      return undefined
    }
  }

  /** Hashes the blob unless its stamp shows it is unchanged since its last successful hash. */
  async check (sha256: string, size: number, options: { force?: boolean } = {}): Promise<CheckResult> {
    const fd = await openOrMissing(this.layout.blobPath(sha256))
    if (fd === undefined) return { kind: 'missing' }
    try {
      if (options.force === true) this.stamps.delete(sha256)
      return await this.checkOpen(fd, sha256, size)
    } finally {
      await closeFd(fd)
    }
  }

  /** Records that the file at the blob's path is known good (the store just wrote and hashed it). */
  async trust (sha256: string): Promise<void> {
    const fd = await openOrMissing(this.layout.blobPath(sha256))
    if (fd === undefined) return
    try {
      this.stamps.set(sha256, stampOf(await fstatBig(fd)))
    } finally {
      await closeFd(fd)
    }
  }

  forget (sha256: string): void {
    this.stamps.delete(sha256)
    this.hot.forget(sha256)
  }

  /**
   * One stat, then the bytes kept from an earlier read if the file is unchanged, else a read and a hash. The stamp
   * is taken before the read, so a file changed meanwhile gets a stamp that no longer matches: read again next time.
   */
  private readSmallSync (sha256: string, size: number): ReadResult {
    const path = this.layout.blobPath(sha256)
    const before = fs.statSync(path, { bigint: true, throwIfNoEntry: false })
    if (before === undefined) return { kind: 'missing' }
    const stamp = stampOf(before)
    const kept = this.hot.get(sha256, stamp)
    if (kept !== undefined) return { kind: 'ok', bytes: kept }
    let fd: number
    try {
      fd = fs.openSync(path, 'r')
    } catch (err) {
      if (isMissing(err)) return { kind: 'missing' }
      throw err
    }
    try {
      // one byte more than expected: a short read proves the file ends where it should; not from the shared
      // pool, so a kept copy holds its own bytes only
      const buffer = Buffer.allocUnsafeSlow(size + 1)
      const bytes = buffer.subarray(0, readFullySync(fd, buffer, 0))
      if (!matches(bytes, size, sha256)) return { kind: 'corrupt', ino: fs.fstatSync(fd, { bigint: true }).ino }
      this.hot.set(sha256, stamp, bytes)
      return { kind: 'ok', bytes }
    } finally {
      fs.closeSync(fd)
    }
  }

  private async readSmall (fd: number, sha256: string, size: number): Promise<ReadResult> {
    const buffer = Buffer.allocUnsafe(size + 1)
    const bytes = buffer.subarray(0, await readFully(fd, buffer, 0))
    if (!matches(bytes, size, sha256)) return { kind: 'corrupt', ino: (await fstatBig(fd)).ino }
    return { kind: 'ok', bytes }
  }

  private async checkOpen (fd: number, sha256: string, size: number): Promise<CheckResult> {
    const before = await fstatBig(fd)
    const stamp = stampOf(before)
    if (this.stamps.get(sha256) === stamp) return { kind: 'ok' }
    // concurrent first reads of one file share one hash instead of each hashing it
    const key = `${sha256}/${stamp}`
    let hashing = this.hashing.get(key)
    if (hashing === undefined) {
      hashing = this.hashOnce(fd, before, sha256, size)
      this.hashing.set(key, hashing)
      const forget = (): void => { this.hashing.delete(key) }
      hashing.then(forget, forget)
    }
    return await hashing ? { kind: 'ok' } : { kind: 'corrupt', ino: before.ino }
  }

  private async hashOnce (fd: number, before: BigIntStats, sha256: string, size: number): Promise<boolean> {
    const stamp = stampOf(before)
    if (before.size !== BigInt(size) || await hashFd(fd) !== sha256) {
      this.stamps.delete(sha256)
      return false
    }
    if (stampOf(await fstatBig(fd)) === stamp) this.stamps.set(sha256, stamp)
    return true
  }
}

/** The stream owns `fd` and closes it when destroyed; the reader refuses to read from then on. */
function streamOf (fd: number): ReadResult {
  const stream = fs.createReadStream('', { fd, start: 0, highWaterMark: STREAM_CHUNK, autoClose: true })
  const file: BlobFileReader = {
    read: async (buffer, position) => {
      if (stream.destroyed) throw new Error('blob file already closed')
      return await readFully(fd, buffer, position)
    }
  }
  return { kind: 'ok', stream, file }
}

function matches (bytes: Uint8Array, size: number, sha256: string): boolean {
  return bytes.byteLength === size && createHash('sha256').update(bytes).digest('hex') === sha256
}

function stampOf (s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
}

async function hashFd (fd: number): Promise<string> {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(HASH_CHUNK)
  let position = 0
  while (true) {
    const bytesRead = await readFully(fd, buffer, position)
    if (bytesRead === 0) break
    hash.update(buffer.subarray(0, bytesRead))
    position += bytesRead
  }
  return hash.digest('hex')
}

async function openOrMissing (path: string): Promise<number | undefined> {
  try {
    return await openFd(path, 'r')
  } catch (err) {
    if (isMissing(err)) return undefined
    throw err
  }
}
