import { randomInt } from 'node:crypto'
import { DuplicatePathError, PathThroughLinkError } from './errors.js'

/**
 * Prefixes are looked up by an FNV-1a hash kept to small integers (fast map keys), its start random per process:
 * a chance collision only costs a string comparison, and one a manifest aims at costs no more than the check of
 * every prefix by its text would.
 */
const SEED = randomInt(1 << 30)
const FNV_PRIME = 0x01000193
const SMALL = 0x3fffffff
/** Bits of a filter of the entries' hashes (2 MiB): most prefixes are no entry, and the filter says so at once. */
const FILTER_BITS = 24

/**
 * Refuses two entries on one path and an entry below another (every entry is a file or a link), in time linear
 * in the paths' length: each path's prefixes are hashed as it is read, not sliced and hashed one by one (deep
 * paths made that quadratic).
 */
export function checkNesting (entries: ReadonlyArray<{ path: string, target?: string }>): void {
  const byPath = new Map<string, { path: string, target?: string }>()
  const byHash = new Map<number, string[]>()
  const filter = new Uint32Array(1 << (FILTER_BITS - 5))
  for (const entry of entries) {
    if (byPath.has(entry.path)) throw new DuplicatePathError(entry.path)
    byPath.set(entry.path, entry)
    const hash = hashOf(entry.path)
    filter[hash >>> 5 & (filter.length - 1)]! |= 1 << (hash & 31)
    const same = byHash.get(hash)
    if (same === undefined) byHash.set(hash, [entry.path])
    else same.push(entry.path)
  }
  for (const entry of entries) {
    const path = entry.path
    let hash = SEED
    for (let i = 0; i < path.length; i++) {
      const code = path.charCodeAt(i)
      if (code === 0x2f && (filter[(hash & SMALL) >>> 5 & (filter.length - 1)]! & (1 << (hash & 31))) !== 0) {
        const above = byHash.get(hash & SMALL)?.find(candidate => candidate.length === i && path.startsWith(candidate))
        if (above !== undefined) throw belowError(path, above, byPath.get(above)!.target !== undefined)
      }
      hash = Math.imul(hash ^ code, FNV_PRIME)
    }
  }
}

function hashOf (path: string): number {
  let hash = SEED
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), FNV_PRIME)
  return hash & SMALL
}

function belowError (path: string, above: string, aboveIsLink: boolean): Error {
  if (aboveIsLink) return new PathThroughLinkError(path, above)
  return new DuplicatePathError(path, `lies below ${JSON.stringify(above)}, which is a file`)
}
