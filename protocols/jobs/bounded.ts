/**
 * A map that keeps at most `cap` entries, forgetting the oldest inserted first. For what a node remembers about
 * jobs of other nodes (ended jobs, jobs it bid on): peers decide how many such ids there are, so none of it may
 * grow without bound.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>()

  constructor (readonly cap: number) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new RangeError(`a bounded map needs a cap of at least 1 (got ${cap})`)
  }

  get size (): number { return this.entries.size }

  get (key: K): V | undefined { return this.entries.get(key) }

  has (key: K): boolean { return this.entries.has(key) }

  /** Sets `key` (a new key counts as the newest); past the cap the oldest entry goes. */
  set (key: K, value: V): this {
    if (!this.entries.has(key) && this.entries.size >= this.cap) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(key, value)
    return this
  }

  delete (key: K): boolean { return this.entries.delete(key) }

  values (): IterableIterator<V> { return this.entries.values() }
}
