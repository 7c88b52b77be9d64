import { MemoryDatastore } from 'datastore-core/memory'
import { Key } from 'interface-datastore/key'
import type { AbortOptions } from '@libp2p/interface'

/**
 * Caps on what other peers may have this node's DHT hold. kad-dht keeps a provider record (`<prefix>/provider/<cid>/<peer>`)
 * for any key a connected peer sends in ADD_PROVIDER, valid 48 h, and a value (`<prefix>/record/<key>`) for any PUT_VALUE
 * that passes the validators (a `/pk/` record only needs a fresh key): on libp2p's in-memory datastore, without a limit.
 */
export interface DhtStoreLimits {
  /** Provider records of other peers held at most; past it the oldest are dropped (default 100,000, ~50 MB). */
  maxProviderRecords: number
  /** Provider records of one peer held at most; past it that peer's oldest are dropped (default 10,000). */
  maxRecordsPerProvider: number
  /** DHT values held at most (gmesh uses none of its own); past it the oldest are dropped (default 1000). */
  maxValueRecords: number
}

/**
 * As many provider records as the mesh's gossip index holds keys (protocols/cache DEFAULT_PROVIDER_INDEX, 100,000): the
 * DHT, used from 64 nodes on, stores each key's provider on its 20 closest nodes, so a node holds about 20 records per
 * cache entry a node has on average, and beyond 5000 of them the oldest go (a provider re-provides its keys daily, each
 * re-provide makes its record the newest). A peer with 32,000 entries in a 64-node mesh places 10,000 records on a node.
 */
export const DEFAULT_DHT_STORE_LIMITS: DhtStoreLimits = Object.freeze({ maxProviderRecords: 100_000, maxRecordsPerProvider: 10_000, maxValueRecords: 1000 })

/** Keys of one kind, oldest first and by owner: which to drop to stay within the caps. */
class RecordLedger {
  private readonly all = new Map<string, string>()
  private readonly byOwner = new Map<string, Set<string>>()

  constructor (private readonly maxRecords: number, private readonly maxPerOwner: number) {}

  get size (): number { return this.all.size }

  /** Notes `key` of `owner` as the newest; returns the keys to drop (the owner's oldest, then the oldest of all). */
  add (key: string, owner: string): string[] {
    this.remove(key)
    this.all.set(key, owner)
    const owned = this.byOwner.get(owner) ?? new Set()
    this.byOwner.set(owner, owned.add(key))
    const dropped: string[] = []
    if (owned.size > this.maxPerOwner) dropped.push(this.dropFirst(owned.keys()))
    if (this.all.size > this.maxRecords) dropped.push(this.dropFirst(this.all.keys()))
    return dropped
  }

  remove (key: string): void {
    const owner = this.all.get(key)
    if (owner === undefined) return
    this.all.delete(key)
    const owned = this.byOwner.get(owner)!
    owned.delete(key)
    if (owned.size === 0) this.byOwner.delete(owner)
  }

  private dropFirst (keys: IterableIterator<string>): string {
    const key = keys.next().value!
    this.remove(key)
    return key
  }
}

/**
 * libp2p's in-memory datastore with the DHT's records of other peers capped (DhtStoreLimits): the oldest are dropped,
 * so a peer sending ADD_PROVIDER in a loop holds at most `maxRecordsPerProvider` records here, and all peers together
 * `maxProviderRecords`. This node's own provider records are neither counted nor dropped (kad-dht re-provides from
 * them). Other keys (the peer store's) pass through as before.
 */
export class BoundedDhtStore extends MemoryDatastore {
  /** Records dropped to stay within the limits. */
  dropped = 0
  private readonly providerPrefix: string
  private readonly valuePrefix: string
  private readonly providers: RecordLedger
  private readonly values: RecordLedger

  constructor (datastorePrefix: string, private readonly self: string, limits: DhtStoreLimits = DEFAULT_DHT_STORE_LIMITS) {
    super()
    this.providerPrefix = `${datastorePrefix}/provider/`
    this.valuePrefix = `${datastorePrefix}/record/`
    this.providers = new RecordLedger(limits.maxProviderRecords, limits.maxRecordsPerProvider)
    this.values = new RecordLedger(limits.maxValueRecords, limits.maxValueRecords)
  }

  /** Provider records of other peers held. */
  get providerRecords (): number { return this.providers.size }

  override put (key: Key, val: Uint8Array, options?: AbortOptions): Key | Promise<Key> {
    const stored = super.put(key, val, options)
    const name = key.toString()
    const dropped = name.startsWith(this.providerPrefix)
      ? this.addProvider(name)
      : (name.startsWith(this.valuePrefix) ? this.values.add(name, '') : [])
    for (const old of dropped) super.delete(new Key(old))
    this.dropped += dropped.length
    return stored
  }

  override delete (key: Key, options?: AbortOptions): void | Promise<void> {
    const done = super.delete(key, options)
    const name = key.toString()
    this.providers.remove(name)
    this.values.remove(name)
    return done
  }

  private addProvider (name: string): string[] {
    const provider = name.slice(name.lastIndexOf('/') + 1)
    return provider === this.self ? [] : this.providers.add(name, provider)
  }
}
