import { InvalidArgumentError, InvalidKeyError } from './errors.js'
import { isStoreKey, namedSha256 } from './keys.js'
import { SHA256_PATTERN } from './layout.js'

/** A size or count option: a non-negative integer. */
export function checkLimit (what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${value}`)
}

/** A Gradle key or a content key (keys.ts). */
export function checkKey (key: string): void {
  if (typeof key !== 'string' || !isStoreKey(key)) throw new InvalidKeyError(String(key))
}

export function checkSha256 (what: string, sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) {
    throw new InvalidArgumentError(`${what} must be 64 lowercase hex characters, got "${String(sha256)}"`)
  }
}

/**
 * The SHA-256 a PUT's bytes must have: the one a content key names, else the caller's `expectedSha256` (if any).
 * A caller's that contradicts the key's name is refused.
 */
export function expectedSha256Of (key: string, expected: string | undefined): string | undefined {
  if (expected !== undefined) checkSha256('expectedSha256', expected)
  const named = namedSha256(key)
  if (named !== undefined && expected !== undefined && expected !== named) {
    throw new InvalidArgumentError(`expectedSha256 ${expected} contradicts the content key ${key}`)
  }
  return named ?? expected
}
