/** Base class of every error the content store throws; `code` is stable and machine-readable. */
export class CasError extends Error {
  readonly code: string

  constructor (message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** The body is larger than `maxSize`; nothing was stored. */
export class TooLargeError extends CasError {
  readonly limit: number

  constructor (limit: number) {
    super(`entry is larger than the limit of ${limit} bytes; nothing was stored`, 'ERR_CAS_TOO_LARGE')
    this.limit = limit
  }
}

/** The bytes do not hash to what the caller expected; nothing was stored. */
export class IntegrityError extends CasError {
  readonly expected: string
  readonly actual: string

  constructor (expected: string, actual: string) {
    super(`content hashes to ${actual} but ${expected} was expected; nothing was stored`, 'ERR_CAS_INTEGRITY')
    this.expected = expected
    this.actual = actual
  }
}

/** The body ended before `expectedSize` bytes (or ran past it); nothing was stored. */
export class SizeMismatchError extends CasError {
  readonly expected: number
  readonly actual: number

  constructor (expected: number, actual: number) {
    super(`body has ${actual} bytes but ${expected} were announced; nothing was stored`, 'ERR_CAS_SIZE_MISMATCH')
    this.expected = expected
    this.actual = actual
  }
}

/** A key that is neither a Gradle cache key (lowercase hex, 32 to 128 characters) nor a content key (`sha256:<hex>`). */
export class InvalidKeyError extends CasError {
  constructor (key: string) {
    const shown = key.length > 140 ? `${key.slice(0, 140)}…` : key
    super(`invalid cache key "${shown}": expected 32 to 128 lowercase hex characters, or sha256: and 64 of them`, 'ERR_CAS_INVALID_KEY')
  }
}

/** An argument other than the key is malformed (a bad sha256, a negative size, ...). */
export class InvalidArgumentError extends CasError {
  constructor (message: string) {
    super(message, 'ERR_CAS_INVALID_ARGUMENT')
  }
}

/** The operation was aborted through its AbortSignal; nothing was stored. */
export class AbortError extends CasError {
  constructor (reason?: unknown) {
    super('the operation was aborted; nothing was stored', 'ABORT_ERR', reason === undefined ? undefined : { cause: reason })
  }
}

/** The store is closed (or was never opened). */
export class StoreClosedError extends CasError {
  constructor () {
    super('the content store is closed', 'ERR_CAS_CLOSED')
  }
}

/** Another process (or another open store in this one) holds the store's directory. */
export class StoreLockedError extends CasError {
  constructor (dir: string, cause?: unknown) {
    super(`the content store at ${dir} is in use by another process; stop it first (or use its control API)`, 'ERR_CAS_LOCKED', cause === undefined ? undefined : { cause })
  }
}

/** The body stream failed while the store was reading it; nothing was stored. */
export class BodyError extends CasError {
  constructor (cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    super(`reading the body failed (${detail}); nothing was stored`, 'ERR_CAS_BODY', { cause })
  }
}

/**
 * An index write failed and the index could not be reopened since (the disk is still full, say): nothing is
 * stored until it can be; each later write tries again.
 */
export class IndexUnavailableError extends CasError {
  constructor (cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    super(`the store's index could not be reopened after a failed write (${detail}); nothing was stored`, 'ERR_CAS_INDEX_UNAVAILABLE', { cause })
  }
}

/**
 * A gc stopped early, by its AbortSignal or by close(): the entries it evicted until then are gone from the index
 * and their blobs from disk; the others are as they were.
 */
export class GcInterruptedError extends CasError {
  readonly evicted: number
  readonly freedBytes: number

  constructor (done: { evicted: number, freedBytes: number }, reason?: unknown) {
    super(`gc stopped early, after evicting ${done.evicted} entries (${done.freedBytes} bytes); the other entries are as they were`,
      'ERR_CAS_GC_INTERRUPTED', reason === undefined ? undefined : { cause: reason })
    this.evicted = done.evicted
    this.freedBytes = done.freedBytes
  }
}
