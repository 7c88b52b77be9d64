import type { DhtModel } from '../dht.js'
import type { Engine } from '../engine/index.js'
import type { FaultState, Links } from '../network/index.js'
import type { CacheSimNode } from './harness.js'

/** What the DHT stand-in needs of the cache harness. */
export interface SimDhtComponents {
  readonly engine: Engine
  readonly links: Links
  readonly faults: FaultState
  readonly size: number
  node: (i: number) => CacheSimNode
  /** Feeds the DHT's answer to node `i`'s cache protocol and carries out what follows. */
  deliverProviders: (i: number, key: string, providers: readonly string[]) => void
}

/** A provide made during a partition: seen only on the provider's side, until it provides again with the network whole. */
interface SidedRecord {
  /** The partition layout when it was provided (group per node). */
  readonly groups: Int32Array
}

/**
 * Carries out the cache protocol's `provide` and `findProviders` commands on the Kademlia model (sim/dht.ts): a
 * provide is recorded at once, a lookup answers after its modelled hops of round trips between live nodes. The
 * records of a crashed node stay (as stale records do in a real DHT), so a lookup may name a dead provider.
 * A record provided during a partition reaches only the nodes on the provider's side, and stays there after
 * the partition heals until the provider provides it again (as a Kademlia record waits for its republish); a
 * lookup during a partition finds only providers on its own side.
 */
export class SimDht {
  private readonly sided = new Map<string, Map<number, SidedRecord>>()
  private layout?: { partitions: number, groups: Int32Array }

  constructor (private readonly components: SimDhtComponents, private readonly model: DhtModel) {}

  provide (i: number, key: string): void {
    this.model.provide(key, i)
    const { faults } = this.components
    const records = this.sided.get(key)
    if (!faults.partitioned) {
      records?.delete(i)
      if (records?.size === 0) this.sided.delete(key)
      return
    }
    if (this.layout?.partitions !== faults.partitions) this.layout = { partitions: faults.partitions, groups: Int32Array.from(faults.group) }
    if (records === undefined) this.sided.set(key, new Map([[i, { groups: this.layout.groups }]]))
    else records.set(i, { groups: this.layout.groups })
  }

  /** Whether node `asker` can learn of `provider`'s record of `key` now. */
  private visible (asker: number, provider: number, key: string): boolean {
    const record = this.sided.get(key)?.get(provider)
    if (record !== undefined && record.groups[asker] !== record.groups[provider]) return false
    const { faults } = this.components
    return faults.reachable(provider, asker) && faults.reachable(asker, provider)
  }

  findProviders (i: number, key: string): void {
    const { engine, links, faults, size } = this.components
    const live = faults.up.reduce((n, up) => n + up, 0)
    const rtt = (): number => {
      const other = engine.random.nextInt(size)
      return links.sampleLatency(i, other, engine.random) + links.sampleLatency(other, i, engine.random)
    }
    const outcome = this.model.lookup(key, live, engine.random, rtt)
    const providers = outcome.providers.filter(p => p !== i && this.visible(i, p, key)).map(p => this.components.node(p).peer)
    engine.at(engine.now + outcome.latencyMs, () => {
      if (faults.up[i] === 1) this.components.deliverProviders(i, key, providers)
    })
  }
}
