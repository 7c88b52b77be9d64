/**
 * Which shard of a test task runs a test class: a hash of the class's top-level name, salted, modulo the shard count.
 *
 * The shard unit's init script (see `renderTestShardScript`) applies the same hash to every class file Gradle would
 * scan, so each class compiled into the test classes runs in exactly one shard, whether or not the planner's reading
 * of the sources recognised it as a test (a @ParameterizedTest-only class, a Groovy or Kotlin test, a second class in
 * a file): nothing can be dropped. The planner's list of test classes serves only to pick the salt that balances the
 * shards' weights and the shard count.
 */
import type { TestClass } from './test-classes.js'

/** Salts tried for the best balance: enough to come close to the best split of a few hundred classes, in milliseconds. */
const SALTS = 1024

/** A split of a test task's classes into shards. */
export interface TestShards {
  /** The salt of the hash (see {@link shardOfClass}). */
  salt: number
  /** The known classes of each shard (index 0 is shard 1), sorted; classes the planner did not know go where the hash puts them. */
  groups: string[][]
}

/** The top-level class of a class name: a nested class (`Outer$Inner`) runs with its outer class. */
export function topLevelClass (className: string): string {
  const cut = className.indexOf('$')
  return cut < 0 ? className : className.slice(0, cut)
}

/**
 * The shard (0-based) of class `className` among `count`: FNV-1a over the UTF-16 code units of `<salt>:<top-level
 * class>`, then Murmur3's finaliser so the low bits mix. The Groovy in `renderTestShardScript` computes the same.
 */
export function shardOfClass (className: string, salt: number, count: number): number {
  const text = `${salt}:${topLevelClass(className)}`
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b) >>> 0
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0
  hash ^= hash >>> 16
  return (hash >>> 0) % count
}

/**
 * Splits classes into `min(shards, classes)` shards by the salt (of {@link SALTS}) that leaves the fewest shards
 * without a known class, then the lightest heaviest shard (ties: the lowest salt). No classes: no shards.
 */
export function splitIntoShards (classes: readonly TestClass[], shards: number): TestShards {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`)
  const count = Math.min(shards, classes.length)
  if (count === 0) return { salt: 0, groups: [] }
  const total = classes.reduce((sum, c) => sum + c.weight, 0)
  const bound = Math.max(Math.ceil(total / count), ...classes.map(c => c.weight))
  let best = { salt: 0, empty: Infinity, heaviest: Infinity }
  for (let salt = 0; salt < SALTS && (best.empty > 0 || best.heaviest > bound); salt++) {
    const weights = new Array<number>(count).fill(0)
    for (const c of classes) {
      const shard = shardOfClass(c.name, salt, count)
      weights[shard] = (weights[shard] ?? 0) + c.weight
    }
    const empty = weights.filter(w => w === 0).length
    const heaviest = Math.max(...weights)
    if (empty < best.empty || (empty === best.empty && heaviest < best.heaviest)) best = { salt, empty, heaviest }
  }
  const groups = Array.from({ length: count }, () => [] as string[])
  for (const c of classes) groups[shardOfClass(c.name, best.salt, count)]?.push(c.name)
  return { salt: best.salt, groups: groups.map(group => group.sort()) }
}
