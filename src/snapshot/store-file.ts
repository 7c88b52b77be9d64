import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { IntegrityError, SizeMismatchError } from '../cas/errors.js'
import { FileChangedError } from './errors.js'
import { holdsBlob, storeBlob, type SnapshotStore } from './store-view.js'

/** Files up to this size are read once into memory; bigger ones are streamed (twice when new to the store). */
export const IN_MEMORY_FILE_BYTES = 1024 * 1024
const HASH_CHUNK = 256 * 1024

export interface StoredFile {
  sha256: string
  size: number
  executable: boolean
  /** True when the store already had the blob. */
  reused: boolean
}

/**
 * Hashes the regular file at `absolute` and stores it under its SHA-256, unless the store already has it.
 * The blob is pinned (by the caller's `pin`) before the store is asked, so it cannot be evicted in between.
 * Throws FileChangedError when the file changes while it is read, or is gone or replaced since the walk.
 */
export async function storeFile (absolute: string, relative: string, store: SnapshotStore, options: { signal?: AbortSignal, pin: (sha256: string) => void }): Promise<StoredFile> {
  options.signal?.throwIfAborted()
  const handle = await openRegular(absolute, relative)
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new FileChangedError(relative)
    const executable = (stats.mode & 0o100) !== 0
    const small = stats.size <= IN_MEMORY_FILE_BYTES ? await readSmall(handle, stats.size, relative) : undefined
    const { sha256, size } = small ?? await hashHandle(handle, options.signal)
    options.pin(sha256)
    if (await holdsBlob(store, sha256)) return { sha256, size, executable, reused: true }
    // the file just hashed, not whatever is at its path now (a FIFO there would block an open for good);
    // the store re-hashes it against sha256, so a change since is caught
    const stream = small === undefined ? handle.createReadStream({ start: 0, highWaterMark: HASH_CHUNK, autoClose: false }) : undefined
    try {
      await storeBlob(store, sha256, small?.bytes ?? stream!, { expectedSize: size, signal: options.signal })
    } catch (err) {
      if (err instanceof IntegrityError || err instanceof SizeMismatchError) throw new FileChangedError(relative, err)
      throw err
    } finally {
      stream?.destroy()
    }
    return { sha256, size, executable, reused: false }
  } finally {
    await handle.close()
  }
}

async function readSmall (handle: FileHandle, expected: number, relative: string): Promise<{ bytes: Buffer, sha256: string, size: number }> {
  // one byte more than fstat said: a file that grew since is caught here
  const buffer = Buffer.allocUnsafe(expected + 1)
  let size = 0
  while (size < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, size, buffer.byteLength - size, size)
    if (bytesRead === 0) break
    size += bytesRead
  }
  if (size !== expected) throw new FileChangedError(relative)
  const bytes = buffer.subarray(0, size)
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), size }
}

async function hashHandle (handle: FileHandle, signal: AbortSignal | undefined): Promise<{ sha256: string, size: number }> {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(HASH_CHUNK)
  let size = 0
  while (true) {
    signal?.throwIfAborted()
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, size)
    if (bytesRead === 0) break
    hash.update(buffer.subarray(0, bytesRead))
    size += bytesRead
  }
  return { sha256: hash.digest('hex'), size }
}

async function openRegular (absolute: string, relative: string): Promise<FileHandle> {
  try {
    // O_NONBLOCK: a FIFO put where the walk saw a file would block the open for good (fstat then refuses it)
    return await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // removed since the walk, or replaced by a link (O_NOFOLLOW)
    if (code === 'ENOENT' || code === 'ELOOP') throw new FileChangedError(relative, err)
    throw err
  }
}
