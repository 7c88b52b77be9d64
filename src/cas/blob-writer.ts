import { createHash, type Hash } from 'node:crypto'
import { unlink } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { AbortError, BodyError, CasError, SizeMismatchError, TooLargeError } from './errors.js'
import { closeFd, fdatasyncFd, openFd, writeAll } from './fs-calls.js'

/** A body fully written to a temp file, flushed to disk, with its hash. */
export interface WrittenTemp {
  path: string
  sha256: string
  size: number
}

export interface WriteLimits {
  maxSize?: number
  expectedSize?: number
  signal?: AbortSignal
  /** fdatasync the file before resolving (default true). */
  sync?: boolean
}

/** Chunks are gathered up to this many bytes before one write, so small chunks cost few syscalls. */
const FLUSH_BYTES = 256 * 1024

/**
 * Streams `body` into a new file at `path` while hashing it, then fdatasyncs (unless `sync` is false) and closes it.
 * On any failure (limit, abort, a body that errors or ends short) the temp file is removed and the error rethrown.
 * A Readable body is destroyed only on abort: past a limit it is left as it is, for the caller to drain.
 */
export async function writeTemp (path: string, body: AsyncIterable<Uint8Array> | Uint8Array, limits: WriteLimits): Promise<WrittenTemp> {
  checkAborted(limits.signal)
  if (body instanceof Uint8Array) checkSize(body.byteLength, limits)
  let fd: number | undefined = await openFd(path, 'wx', 0o644)
  try {
    const hash = createHash('sha256')
    const size = body instanceof Uint8Array
      ? await writeWhole(fd, hash, body)
      : await writeStream(fd, hash, body, limits)
    if (limits.expectedSize !== undefined && size !== limits.expectedSize) throw new SizeMismatchError(limits.expectedSize, size)
    checkAborted(limits.signal)
    if (limits.sync !== false) await fdatasyncFd(fd)
    const closing = fd
    fd = undefined
    await closeFd(closing)
    return { path, sha256: hash.digest('hex'), size }
  } catch (err) {
    if (fd !== undefined) await closeFd(fd).catch(() => {})
    await unlink(path).catch(() => {})
    throw err
  }
}

async function writeWhole (fd: number, hash: Hash, body: Uint8Array): Promise<number> {
  hash.update(body)
  await writeAll(fd, body)
  return body.byteLength
}

async function writeStream (fd: number, hash: Hash, body: AsyncIterable<Uint8Array>, limits: WriteLimits): Promise<number> {
  // a Readable is not destroyed when we stop early over a limit, so an HTTP server can still drain it
  const iterator = body instanceof Readable ? body.iterator({ destroyOnReturn: false }) : body[Symbol.asyncIterator]()
  const abort = abortRace(limits.signal)
  let size = 0
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  let done = false
  try {
    while (true) {
      const result = await nextChunk(iterator, abort.promise)
      if (result.done === true) break
      const chunk = result.value
      if (!(chunk instanceof Uint8Array)) throw new BodyError(new TypeError('body chunks must be Uint8Array'))
      size += chunk.byteLength
      checkSize(size, limits)
      hash.update(chunk)
      pending.push(chunk)
      pendingBytes += chunk.byteLength
      if (pendingBytes >= FLUSH_BYTES) {
        await writeAll(fd, joined(pending, pendingBytes))
        pending = []
        pendingBytes = 0
      }
    }
    done = true
    if (pending.length > 0) await writeAll(fd, joined(pending, pendingBytes))
    return size
  } finally {
    abort.dispose()
    if (!done) closeIterator(iterator)
    if (!done && limits.signal?.aborted === true && body instanceof Readable) body.destroy()
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

function joined (chunks: Uint8Array[], total: number): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
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
