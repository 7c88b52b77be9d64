import { EventKind, bytesHash } from './engine/index.js'
import type { Engine } from './engine/index.js'
import type { GossipModel } from './gossip.js'
import type { FaultState, Links } from './network/index.js'

export interface TrafficStats {
  directSent: number
  directDropped: number
  published: number
  gossipDelivered: number
  gossipDropped: number
  bytesSent: number
}

/**
 * The virtual network's sending side: a direct message crosses the sender's uplink (bandwidth), is
 * cut by partitions, lost, duplicated or delayed by its link's latency distribution; a publish is
 * split by the gossip model into waves of recipients reachable from the publisher.
 */
export class Transport {
  readonly stats: TrafficStats = { directSent: 0, directDropped: 0, published: 0, gossipDelivered: 0, gossipDropped: 0, bytesSent: 0 }

  constructor (
    private readonly size: number,
    private readonly engine: Engine,
    private readonly links: Links,
    private readonly faults: FaultState,
    private readonly gossip: GossipModel
  ) {}

  send (from: number, to: number, via: string, bytes: Uint8Array): void {
    const { engine, links, faults } = this
    const p = links.profile
    this.stats.directSent++
    this.stats.bytesSent += bytes.length
    const departed = links.transmit(from, bytes.length, engine.now)
    if (!faults.reachable(from, to) || (p.loss > 0 && engine.random.nextFloat() < p.loss)) {
      this.stats.directDropped++
      return
    }
    const copies = p.duplicate > 0 && engine.random.nextFloat() < p.duplicate ? 2 : 1
    for (let c = 0; c < copies; c++) {
      const event = engine.event(departed + links.sampleLatency(from, to, engine.random), EventKind.deliver)
      event.node = to
      event.from = from
      event.key = via
      event.bytes = bytes
      engine.push(event)
    }
  }

  /** Publishes to every live subscriber reachable from `from` (every node subscribes in the simulator). */
  publish (from: number, topic: string, bytes: Uint8Array): void {
    const { engine, links, faults, gossip } = this
    this.stats.published++
    const degree = gossip.profile.meshDegree
    this.stats.bytesSent += bytes.length * degree
    const departed = links.transmit(from, bytes.length * degree, engine.now)
    const candidates: number[] = []
    for (let r = 0; r < this.size; r++) {
      if (r !== from && faults.up[r] === 1 && faults.reachable(from, r)) candidates.push(r)
    }
    if (candidates.length === 0) return
    const hash = bytesHash(bytes)
    const hop = links.meanLatency()
    for (const wave of gossip.waves(candidates, this.size, engine.random)) {
      const jitter = -links.profile.jitterMs * Math.log(1 - engine.random.nextFloat())
      const event = engine.event(departed + wave.hops * hop + jitter, EventKind.gossipWave)
      event.from = from
      event.key = topic
      event.bytes = bytes
      event.hash = hash
      event.list = wave.recipients
      engine.push(event)
    }
  }
}
