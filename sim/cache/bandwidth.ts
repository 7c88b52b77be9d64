import type { Random } from '../../protocols/core/index.js'

/** What the nodes' network cards move for blob bodies, in bytes per second each way. */
export interface BandwidthProfile {
  /** Share of nodes on wired gigabit (build boxes, desktops); the rest are laptops on Wi-Fi. */
  readonly wiredShare: number
  /** A gigabit link's rate as a libp2p stream sees it (Noise and Yamux cost a little). */
  readonly wired: readonly [number, number]
  /** Office Wi-Fi, from a far corner to next to the access point. */
  readonly wifi: readonly [number, number]
  /** A dripping provider's uploads: below the lookup's floor of 64 KiB per 3 s (about 21 KiB/s). */
  readonly drip: readonly [number, number]
}

export const LAN_BANDWIDTH: BandwidthProfile = Object.freeze({
  wiredShare: 0.7,
  wired: [80e6, 115e6],
  wifi: [2.5e6, 25e6],
  drip: [16, 8192]
} as const)

/**
 * Each node's body rate, drawn from the seed: a gigabit card or Wi-Fi, the same both ways. A body between two nodes
 * moves at most at the slower card's rate; `BodyFlows` shares each card among the bodies it carries. A dripping
 * node (the e2e's provider that sends its header and then a byte now and then) uploads every body at its drip rate.
 */
export class NodeBandwidth {
  private readonly rate: Float64Array
  private readonly drip: Float64Array

  constructor (size: number, random: Random, drippers: ReadonlySet<number> = new Set(), readonly profile: BandwidthProfile = LAN_BANDWIDTH) {
    this.rate = new Float64Array(size)
    this.drip = new Float64Array(size)
    for (let i = 0; i < size; i++) {
      const [low, high] = random.nextFloat() < profile.wiredShare ? profile.wired : profile.wifi
      this.rate[i] = low + random.nextFloat() * (high - low)
    }
    // log-uniform: as many drippers below 256 B/s as above
    const [low, high] = profile.drip
    for (const i of [...drippers].sort((a, b) => a - b)) this.drip[i] = low * Math.pow(high / low, random.nextFloat())
  }

  /** The node's card, bytes per second each way. */
  rateOf (node: number): number {
    return this.rate[node] as number
  }

  /** The node's upload rate per body if it drips, else undefined. */
  dripOf (node: number): number | undefined {
    const drip = this.drip[node] as number
    return drip > 0 ? drip : undefined
  }

  isDripping (node: number): boolean {
    return (this.drip[node] as number) > 0
  }
}
