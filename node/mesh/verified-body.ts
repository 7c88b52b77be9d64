import { createHash } from 'node:crypto'
import { IntegrityError, SizeMismatchError } from '../../src/cas/errors.js'

/**
 * Peer fetches up to this size are read into memory and checked there, then answered from memory
 * while the store writes them: the same bound under which the store itself reads a blob whole.
 */
export const IN_MEMORY_FETCH_BYTES = 1024 * 1024

/**
 * Bytes of bigger verified peer fetches kept in memory at once (HeldBodies): each is answered from memory as soon as
 * it is checked, while the store writes it, instead of after the store wrote it and from the file. A body that does
 * not fit streams into the store, as every big one did before.
 */
export const VERIFIED_BODY_BUDGET_BYTES = 64 * 1024 * 1024

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

/**
 * What a peer fetch that threw counts as: a fetch called off or late timed out; `corrupt` only for bytes that prove the
 * provider served a wrong entry (`provesCorrupt`); anything else, a body that ended short included, is an `error`.
 */
export function fetchFailure (err: unknown, signal: AbortSignal): 'corrupt' | 'timeout' | 'error' {
  if (provesCorrupt(err)) return 'corrupt'
  const name = (err as { name?: string })?.name
  if (signal.aborted || name === 'DeadlineExceededError' || name === 'AbortError' || name === 'TimeoutError') return 'timeout'
  return 'error'
}

/**
 * Bytes that hash to something else, or more bytes than the header announced: only a provider that sent them can
 * cause that (the connection is authenticated and encrypted). A body that ends short proves nothing: when a
 * provider's process dies or its connection drops, libp2p 3 ends the stream as cleanly as a provider that closes it,
 * so penalising a short body penalised honest providers, while a liar that stops early could reset the stream
 * instead and be taken for a lost connection anyway. As an `error` it costs the asker what a reset costs: this
 * attempt, and the lookup asks the next provider. A replica pull (replica-puller.ts) penalises its pusher by the same rule.
 */
export function provesCorrupt (err: unknown): boolean {
  if (err instanceof IntegrityError) return true
  return err instanceof SizeMismatchError && err.actual > err.expected
}
