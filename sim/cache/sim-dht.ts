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

/**
 * Carries out the cache protocol's `provide` and `findProviders` commands on the Kademlia model (sim/dht.ts): a
 * provide is recorded at once, a lookup answers after its modelled hops of round trips between live nodes. The
 * records of a crashed node stay (as stale records do in a real DHT), so a lookup may name a dead provider.
 */
export class SimDht {
  constructor (private readonly components: SimDhtComponents, private readonly model: DhtModel) {}

  provide (i: number, key: string): void {
    this.model.provide(key, i)
  }

  findProviders (i: number, key: string): void {
    const { engine, links, faults, size } = this.components
    const live = faults.up.reduce((n, up) => n + up, 0)
    const rtt = (): number => {
      const other = engine.random.nextInt(size)
      return links.sampleLatency(i, other, engine.random) + links.sampleLatency(other, i, engine.random)
    }
    const outcome = this.model.lookup(key, live, engine.random, rtt)
    const providers = outcome.providers.filter(p => p !== i).map(p => this.components.node(p).peer)
    engine.at(engine.now + outcome.latencyMs, () => {
      if (faults.up[i] === 1) this.components.deliverProviders(i, key, providers)
    })
  }
}
