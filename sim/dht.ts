import type { Random } from '../protocols/core/index.js'

/** Knobs of the Kademlia model. */
export interface DhtProfile {
  /** Bits resolved per hop (Kademlia with buckets of size k resolves about log2(k) bits at best; 1 is the worst case). */
  bitsPerHop: number
  /** Parallel queries per hop (α). */
  alpha: number
  /** Probability one queried peer fails to answer before the hop moves on. */
  queryLoss: number
}

export const KAD_PROFILE: DhtProfile = Object.freeze({ bitsPerHop: 3, alpha: 3, queryLoss: 0 })

export interface LookupOutcome {
  /** Providers found (a copy, in provide order). */
  readonly providers: number[]
  readonly hops: number
  /** Virtual time the lookup takes. */
  readonly latencyMs: number
}

/**
 * Models a DHT by its semantics: provider records per key, and lookups whose hop count grows with
 * log2(N) / bitsPerHop, each hop costing one round trip (the slowest answer of α parallel queries).
 * Records of a node vanish when it loses its disk.
 */
export class DhtModel {
  private readonly providers = new Map<string, number[]>()

  constructor (readonly profile: DhtProfile) {}

  provide (key: string, node: number): void {
    const list = this.providers.get(key)
    if (list === undefined) this.providers.set(key, [node])
    else if (!list.includes(node)) list.push(node)
  }

  /** Forgets every record `node` provided (restart without disk). */
  forget (node: number): void {
    for (const [key, list] of this.providers) {
      const kept = list.filter(n => n !== node)
      if (kept.length === 0) this.providers.delete(key)
      else this.providers.set(key, kept)
    }
  }

  /** Hops a lookup takes in a mesh of `n` live nodes. */
  hops (n: number, random: Random): number {
    const ideal = Math.log2(Math.max(n, 2)) / this.profile.bitsPerHop
    return Math.max(1, Math.ceil(ideal + random.nextFloat() - 0.5))
  }

  /** Resolves a lookup: `rtt()` draws one round trip on a random link. */
  lookup (key: string, n: number, random: Random, rtt: () => number): LookupOutcome {
    const hops = this.hops(n, random)
    let latencyMs = 0
    for (let h = 0; h < hops; h++) {
      let slowest = 0
      let answered = 0
      for (let q = 0; q < this.profile.alpha; q++) {
        if (random.nextFloat() < this.profile.queryLoss) continue
        answered++
        slowest = Math.max(slowest, rtt())
      }
      latencyMs += answered === 0 ? rtt() * 3 : slowest
    }
    return { providers: [...(this.providers.get(key) ?? [])], hops, latencyMs }
  }
}
