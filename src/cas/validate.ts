import { InvalidArgumentError, InvalidKeyError } from './errors.js'
import { SHA256_PATTERN } from './layout.js'
import { GRADLE_KEY_PATTERN } from './types.js'

export function checkKey (key: string): void {
  if (typeof key !== 'string' || !GRADLE_KEY_PATTERN.test(key)) throw new InvalidKeyError(String(key))
}

export function checkSha256 (what: string, sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256)) {
    throw new InvalidArgumentError(`${what} must be 64 lowercase hex characters, got "${String(sha256)}"`)
  }
}
