import type { Random } from '../protocols/core/index.js'

/** Knobs of the gossipsub model. */
export interface GossipProfile {
  /** Mesh degree D: the number of nodes reached grows about D-fold per hop. */
  meshDegree: number
  /**
   * Independent mesh paths a message can take to a node (gossipsub forwards over several mesh links
   * and repairs with IHAVE/IWANT): a node misses a message only if every path loses it.
   */
  paths: number
}

export const GOSSIPSUB_PROFILE: GossipProfile = Object.freeze({ meshDegree: 6, paths: 3 })

/** One wave of an epidemic: the recipients reached after `hops` mesh hops. */
export interface GossipWave {
  readonly hops: number
  readonly recipients: number[]
}

/**
 * Models gossipsub's epidemic delivery by its semantics, not its code: a published message reaches
 * every reachable subscriber after a number of mesh hops that grows with log_D(N) — a fraction
 * D^h / N of nodes is within h hops — and is lost for a node with probability loss^paths.
 * Recipients are grouped into one wave per hop count, so a publish costs a handful of events.
 */
export class GossipModel {
  constructor (readonly profile: GossipProfile) {}

  /** Hops to one recipient in a mesh of `n` nodes. */
  hops (n: number, random: Random): number {
    const u = 1 - random.nextFloat()
    const hops = Math.ceil(Math.log(u * n) / Math.log(this.profile.meshDegree))
    return Math.max(1, hops)
  }

  /** Probability one recipient misses a message when each link loses with probability `loss`. */
  missProbability (loss: number): number {
    return loss <= 0 ? 0 : Math.pow(loss, this.profile.paths)
  }

  /** Splits `candidates` (already filtered for reachability) into waves by hop count. */
  waves (candidates: readonly number[], n: number, random: Random): GossipWave[] {
    const byHops: number[][] = []
    for (const node of candidates) {
      const h = this.hops(n, random)
      let bucket = byHops[h]
      if (bucket === undefined) {
        bucket = []
        byHops[h] = bucket
      }
      bucket.push(node)
    }
    const waves: GossipWave[] = []
    byHops.forEach((recipients, hops) => { waves.push({ hops, recipients }) })
    return waves
  }
}
