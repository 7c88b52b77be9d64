import { createHash } from 'node:crypto'
import { IntegrityError, SizeMismatchError } from '../../src/cas/errors.js'

/**
 * Peer fetches up to this size are read into memory and checked there, then answered from memory
 * while the store writes them: the same bound under which the store itself reads a blob whole.
 */
export const IN_MEMORY_FETCH_BYTES = 1024 * 1024

/**
 * Reads a whole body of `size` bytes that must hash to `sha256`. Throws `SizeMismatchError` as soon as
 * it runs past `size` (or ends short of it) and `IntegrityError` when the bytes hash to anything else:
 * the caller sees bytes only once they are verified.
 */
export async function readVerifiedBody (body: AsyncIterable<Uint8Array>, size: number, sha256: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(size)
  const hash = createHash('sha256')
  let received = 0
  for await (const chunk of body) {
    if (received + chunk.byteLength > size) throw new SizeMismatchError(size, received + chunk.byteLength)
    bytes.set(chunk, received)
    hash.update(chunk)
    received += chunk.byteLength
  }
  if (received !== size) throw new SizeMismatchError(size, received)
  const actual = hash.digest('hex')
  if (actual !== sha256) throw new IntegrityError(sha256, actual)
  return bytes
}

/** What a peer fetch that threw counts as: bytes that failed their check are corrupt, a fetch called off or late timed out. */
export function fetchFailure (err: unknown, signal: AbortSignal): 'corrupt' | 'timeout' | 'error' {
  const name = (err as { name?: string })?.name
  if (name === 'IntegrityError' || name === 'SizeMismatchError') return 'corrupt'
  if (signal.aborted || name === 'DeadlineExceededError' || name === 'AbortError' || name === 'TimeoutError') return 'timeout'
  return 'error'
}
