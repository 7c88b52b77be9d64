import { GRADLE_KEY_PATTERN } from './types.js'

/**
 * The store's two key spaces. A Gradle key (lowercase hex, 32 to 128 characters) comes from Gradle's HTTP cache
 * or a peer, and a PUT may put any bytes under it, a 64-character one too. A content key, `sha256:<hex>`, names
 * bytes by their own SHA-256 (snapshot files and manifests, test reports): the store takes only bytes that hash to
 * that name, and no Gradle key is a content key, so nothing Gradle or a peer stores can replace what a job needs.
 */
export const CONTENT_KEY_PREFIX = 'sha256:'
const CONTENT_KEY_PATTERN = /^sha256:[0-9a-f]{64}$/

/** The key of the bytes whose SHA-256 is `sha256`. */
export function contentKey (sha256: string): string {
  return CONTENT_KEY_PREFIX + sha256
}

/** The SHA-256 a content key names; undefined for a Gradle key (or anything else). */
export function namedSha256 (key: string): string | undefined {
  return CONTENT_KEY_PATTERN.test(key) ? key.slice(CONTENT_KEY_PREFIX.length) : undefined
}

/** A Gradle key or a content key. */
export function isStoreKey (key: string): boolean {
  return GRADLE_KEY_PATTERN.test(key) || CONTENT_KEY_PATTERN.test(key)
}
