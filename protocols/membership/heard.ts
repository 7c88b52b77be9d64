import type { PeerId } from '../core/index.js'
import type { MembershipMessage } from './messages.js'

/**
 * The membership messages a node took, by kind: what its idle traffic is made of (read by `gmesh status` and the
 * node-idle benchmark). `frames` came on the direct protocol (pings, acks, ping-reqs, joins, welcomes, pulls);
 * `gossip` from the topic, one per publication (gossipsub drops the copies); `heartbeats` are the records among that
 * gossip that are its author's own alive record, the load heartbeats `heartbeatIntervalMs` paces.
 */
export class HeardMessages {
  frames = 0
  gossip = 0
  heartbeats = 0

  /** Counts one message taken from `from` (its gossip author, or the peer of its stream). */
  count (from: PeerId, m: MembershipMessage): void {
    if (m.type !== 'gossip') {
      this.frames++
      return
    }
    this.gossip++
    for (const update of m.updates) if (update.peer === from && update.status === 'alive') this.heartbeats++
  }

  snapshot (): { frames: number, gossip: number, heartbeats: number } {
    return { frames: this.frames, gossip: this.gossip, heartbeats: this.heartbeats }
  }
}
