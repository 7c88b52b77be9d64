import type { Random } from '../../protocols/core/index.js'

/** How links between nodes behave; every knob can change during a run. */
export interface LinkProfile {
  /** Smallest one-way latency of any link. */
  baseLatencyMs: number
  /** Extra latency of the longest link: nodes sit on a unit square and latency grows with distance. */
  spreadLatencyMs: number
  /** Mean of the exponential jitter added to every message. */
  jitterMs: number
  /** Probability a message is lost. */
  loss: number
  /** Probability a message is delivered twice. */
  duplicate: number
  /** Probability a message is held back by up to `reorderMs`, letting later ones overtake it. */
  reorder: number
  reorderMs: number
  /** Each node's uplink: messages queue behind each other at this rate. */
  bandwidthBytesPerSec: number
}

export const LAN_PROFILE: LinkProfile = Object.freeze({
  baseLatencyMs: 0.5,
  spreadLatencyMs: 4,
  jitterMs: 0.5,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: 0,
  bandwidthBytesPerSec: 12_500_000
})

/**
 * Per-link latency distributions and per-node uplink bandwidth. Latency of link (a, b) is
 * base + spread × distance(a, b) / √2 plus exponential jitter, so links differ but are stable.
 */
export class Links {
  private readonly x: Float64Array
  private readonly y: Float64Array
  private readonly uplinkFreeAt: Float64Array
  profile: LinkProfile

  constructor (readonly size: number, profile: LinkProfile, random: Random) {
    this.profile = { ...profile }
    this.x = new Float64Array(size)
    this.y = new Float64Array(size)
    this.uplinkFreeAt = new Float64Array(size)
    for (let i = 0; i < size; i++) {
      this.x[i] = random.nextFloat()
      this.y[i] = random.nextFloat()
    }
  }

  /** The link's fixed part of the latency. */
  baseLatency (from: number, to: number): number {
    const dx = (this.x[from] as number) - (this.x[to] as number)
    const dy = (this.y[from] as number) - (this.y[to] as number)
    return this.profile.baseLatencyMs + this.profile.spreadLatencyMs * Math.sqrt((dx * dx + dy * dy) / 2)
  }

  /** Draws a one-way latency for one message on the link, reordering delay included. */
  sampleLatency (from: number, to: number, random: Random): number {
    const p = this.profile
    let latency = this.baseLatency(from, to) - p.jitterMs * Math.log(1 - random.nextFloat())
    if (p.reorder > 0 && random.nextFloat() < p.reorder) latency += random.nextFloat() * p.reorderMs
    return latency
  }

  /** When a message of `size` bytes put on `from`'s uplink at `now` has left it (bandwidth queueing). */
  transmit (from: number, size: number, now: number): number {
    const start = Math.max(now, this.uplinkFreeAt[from] as number)
    const done = start + (size * 1000) / this.profile.bandwidthBytesPerSec
    this.uplinkFreeAt[from] = done
    return done
  }

  /** Mean one-way latency over all links (used by the gossip model's per-hop delay). */
  meanLatency (): number {
    return this.profile.baseLatencyMs + this.profile.spreadLatencyMs * 0.3826 + this.profile.jitterMs
  }
}
