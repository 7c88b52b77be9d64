import { createHash, hash as hashOnce, type Hash } from 'node:crypto'
import fs from 'node:fs'
import { unlink } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { AbortError, BodyError, CasError, SizeMismatchError, TooLargeError } from './errors.js'
import { fdatasyncFd, openFd, writeAll, writeAllSync } from './fs-calls.js'

/** A body fully written to a temp file, flushed to disk, with its hash. */
export interface WrittenTemp {
  path: string
  sha256: string
  size: number
  /** The bytes were fdatasynced: a PUT that must be durable. */
  synced: boolean
}

export interface WriteLimits {
  maxSize?: number
  expectedSize?: number
  signal?: AbortSignal
  /** fdatasync the file before resolving (default true). */
  sync?: boolean
  /** The SHA-256 a Uint8Array body is known to have (its caller hashed it): taken as it is, not computed again. */
  knownSha256?: string
}

/** A streamed body is copied into buffers of this many bytes, each written in one call, so small chunks cost few syscalls. */
const FLUSH_BYTES = 256 * 1024
/** Writes up to this size are blocking calls (page cache copies of microseconds); bigger ones go to the threadpool. */
const SYNC_WRITE_BYTES = 64 * 1024

/**
 * Streams `body` into a new file at `path` while hashing it, then fdatasyncs (unless `sync` is false) and closes it.
 * On any failure (limit, abort, a body that errors or ends short) the temp file is removed and the error rethrown.
 * A Readable body is destroyed only on abort: past a limit it is left as it is, for the caller to drain.
 */
export async function writeTemp (path: string, body: AsyncIterable<Uint8Array> | Uint8Array, limits: WriteLimits): Promise<WrittenTemp> {
  checkAborted(limits.signal)
  const file = new TempFile(path)
  const hash = new BodyHash()
  try {
    let size: number
    let known: string | undefined
    if (body instanceof Uint8Array) {
      // the caller keeps `body` unchanged until the put settles (it is hashed, then written as it is)
      checkSize(body.byteLength, limits)
      known = limits.knownSha256
      if (known === undefined) hash.update(body)
      await file.append(body)
      size = body.byteLength
    } else {
      size = await writeStream(file, hash, body, limits)
    }
    if (limits.expectedSize !== undefined && size !== limits.expectedSize) throw new SizeMismatchError(limits.expectedSize, size)
    checkAborted(limits.signal)
    const synced = limits.sync !== false
    await file.finish(synced)
    return { path, sha256: known ?? hash.digest(), size, synced }
  } catch (err) {
    await file.discard()
    throw err
  }
}

/**
 * The temp file, created on its first write, so a body that fails early leaves nothing to remove. Small writes and
 * closing are blocking calls: on a local disk they take microseconds, less than a threadpool round trip each. The
 * create goes to the pool: it waits for the filesystem journal, which concurrent fdatasyncs keep busy (measured:
 * a blocking create held the event loop 28% of the time at 16 concurrent PUTs; in the pool, 1.3-1.5x the PUT rate).
 */
class TempFile {
  private readonly path: string
  private fd: number | undefined
  private created = false
  /** The write started by `appendBehind`, if any. */
  private writing: Promise<void> = Promise.resolve()

  constructor (path: string) {
    this.path = path
  }

  async append (bytes: Uint8Array): Promise<void> {
    const fd = await this.open()
    if (bytes.byteLength <= SYNC_WRITE_BYTES) writeAllSync(fd, bytes)
    else await writeAll(fd, bytes)
  }

  /**
   * Starts writing `bytes` once the write before it is done and returns without waiting for it, so the body is read
   * on while the disk works (a stream that waited on each write stalled its sender). A failed write surfaces at the
   * next call or at `finish`; `discard` waits for it. `bytes` must not change afterwards: callers pass their own copy.
   */
  async appendBehind (bytes: Uint8Array): Promise<void> {
    await this.writing
    this.writing = this.append(bytes)
    this.writing.catch(() => {})
  }

  async finish (sync: boolean): Promise<void> {
    await this.writing
    const fd = await this.open()
    if (sync) await fdatasyncFd(fd)
    this.fd = undefined
    fs.closeSync(fd)
  }

  async discard (): Promise<void> {
    // never close the descriptor under a write still running in the threadpool
    await this.writing.catch(() => {})
    if (this.fd !== undefined) fs.closeSync(this.fd)
    this.fd = undefined
    if (this.created) await unlink(this.path).catch(() => {})
  }

  private async open (): Promise<number> {
    if (this.fd === undefined) {
      this.fd = await openFd(this.path, 'wx', 0o644)
      this.created = true
    }
    return this.fd
  }
}

/**
 * SHA-256 of a body's pieces. A body of one piece (every body up to FLUSH_BYTES: most Gradle entries) is hashed in
 * one call when done: making a Hash object cost more than hashing a 5 KiB entry. Pieces must not change afterwards.
 */
class BodyHash {
  private first: Uint8Array | undefined
  private hash: Hash | undefined

  update (bytes: Uint8Array): void {
    if (this.hash !== undefined) this.hash.update(bytes)
    else if (this.first === undefined) this.first = bytes
    else {
      this.hash = createHash('sha256').update(this.first).update(bytes)
      this.first = undefined
    }
  }

  digest (): string {
    return this.hash?.digest('hex') ?? hashOnce('sha256', this.first ?? new Uint8Array(0), 'hex')
  }
}

async function writeStream (file: TempFile, hash: BodyHash, body: AsyncIterable<Uint8Array>, limits: WriteLimits): Promise<number> {
  // a Readable is not destroyed when we stop early over a limit, so an HTTP server can still drain it
  const iterator = body instanceof Readable ? body.iterator({ destroyOnReturn: false }) : body[Symbol.asyncIterator]()
  const abort = abortRace(limits.signal)
  const copies = new ChunkCopies(file, hash, limits.expectedSize)
  let size = 0
  let done = false
  try {
    while (true) {
      const result = await nextChunk(iterator, abort.promise)
      if (result.done === true) break
      const chunk = result.value
      if (!(chunk instanceof Uint8Array)) throw new BodyError(new TypeError('body chunks must be Uint8Array'))
      size += chunk.byteLength
      checkSize(size, limits)
      await copies.add(chunk)
    }
    done = true
    await copies.flush()
    return size
  } finally {
    abort.dispose()
    if (!done) closeIterator(iterator)
    if (!done && limits.signal?.aborted === true && body instanceof Readable) body.destroy()
  }
}

/**
 * Copies each chunk of a streamed body as it is read, before the source is asked for the next one (a source may
 * refill the same memory for every chunk), into a buffer of up to FLUSH_BYTES that is hashed and written once full:
 * the name of the blob is the hash of exactly the bytes on disk, and each byte is copied once. A buffer is sized to
 * what `expectedSize` leaves, so a 5 KiB body costs 5 KiB, not FLUSH_BYTES, and one that fits is hashed in one piece.
 */
class ChunkCopies {
  private readonly file: TempFile
  private readonly hash: BodyHash
  private readonly expectedSize: number | undefined
  private buffer: Buffer | undefined
  private filled = 0
  /** Bytes in the buffers flushed before this one. */
  private flushed = 0

  constructor (file: TempFile, hash: BodyHash, expectedSize: number | undefined) {
    this.file = file
    this.hash = hash
    this.expectedSize = expectedSize
  }

  async add (chunk: Uint8Array): Promise<void> {
    let offset = 0
    while (offset < chunk.byteLength) {
      const buffer = this.buffer ??= this.allocate()
      const n = Math.min(chunk.byteLength - offset, buffer.byteLength - this.filled)
      buffer.set(n === chunk.byteLength ? chunk : chunk.subarray(offset, offset + n), this.filled)
      this.filled += n
      offset += n
      if (this.filled === buffer.byteLength) await this.flush()
    }
  }

  /** Hashes and writes the bytes copied since the last flush; their buffer is never written to again. */
  async flush (): Promise<void> {
    if (this.buffer === undefined) return
    const bytes = this.filled === this.buffer.byteLength ? this.buffer : this.buffer.subarray(0, this.filled)
    this.flushed += this.filled
    this.buffer = undefined
    this.filled = 0
    this.hash.update(bytes)
    await this.file.appendBehind(bytes)
  }

  private allocate (): Buffer {
    // checkSize keeps a body within expectedSize, so what it leaves is at least the rest of the chunk
    const left = this.expectedSize === undefined ? FLUSH_BYTES : this.expectedSize - this.flushed
    return Buffer.allocUnsafe(Math.max(1, Math.min(FLUSH_BYTES, left)))
  }
}

async function nextChunk (iterator: AsyncIterator<Uint8Array>, aborted: Promise<never>): Promise<IteratorResult<Uint8Array>> {
  let next: Promise<IteratorResult<Uint8Array>>
  try {
    next = iterator.next()
  } catch (err) {
    throw new BodyError(err)
  }
  next = next.catch((err: unknown) => { throw err instanceof CasError ? err : new BodyError(err) })
  return await Promise.race([next, aborted])
}

/** Tells the source we stop reading; not awaited, since a stuck source may never answer. */
function closeIterator (iterator: AsyncIterator<Uint8Array>): void {
  try {
    iterator.return?.()?.catch(() => {})
  } catch {
    // the body already failed; its own error is the one reported
  }
}

function checkSize (size: number, limits: WriteLimits): void {
  if (limits.maxSize !== undefined && size > limits.maxSize) throw new TooLargeError(limits.maxSize)
  if (limits.expectedSize !== undefined && size > limits.expectedSize) throw new SizeMismatchError(limits.expectedSize, size)
}

export function checkAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortError(signal.reason)
}

/** A promise that rejects with AbortError when `signal` aborts (never settles without a signal). */
function abortRace (signal: AbortSignal | undefined): { promise: Promise<never>, dispose: () => void } {
  if (signal === undefined) return { promise: new Promise<never>(() => {}), dispose: () => {} }
  let onAbort = (): void => {}
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new AbortError(signal.reason)) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  promise.catch(() => {})
  return { promise, dispose: () => { signal.removeEventListener('abort', onAbort) } }
}
