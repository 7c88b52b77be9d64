import type { Millis, PeerId } from '../core/index.js'
import type { IndexSyncConfig } from './index-sync.js'

/** Bound on the peers remembered as departed (the oldest are forgotten first). */
const MAX_DEPARTED = 4096

/**
 * Peers membership declared dead and has not seen again, and which of them to ask for the index when they come back:
 * what was announced while they could not hear each other, from at most `rejoinResyncPeers` of them per
 * `rejoinResyncMs` (a healed partition costs a few exchanges per node, not a mesh-wide re-announcement).
 */
export class Rejoins {
  /** Peers membership declared dead and has not seen again. */
  private readonly departed = new Set<PeerId>()
  private rejoinWindowStart = -Infinity
  private rejoinRequests = 0

  constructor (private readonly config: Pick<IndexSyncConfig, 'rejoinResyncMs' | 'rejoinResyncPeers'>) {}

  /** Membership declared `peer` dead: remember it (at most MAX_DEPARTED peers, the oldest forgotten first). */
  down (peer: PeerId): void {
    this.departed.add(peer)
    if (this.departed.size > MAX_DEPARTED) this.departed.delete(this.departed.values().next().value as PeerId)
  }

  /** Membership saw `peer` come up at `now`: whether to ask it for the index (it had departed, and the budget allows). */
  up (peer: PeerId, now: Millis): boolean {
    if (!this.departed.delete(peer)) return false
    if (now - this.rejoinWindowStart >= this.config.rejoinResyncMs) {
      this.rejoinWindowStart = now
      this.rejoinRequests = 0
    }
    if (this.rejoinRequests >= this.config.rejoinResyncPeers) return false
    this.rejoinRequests++
    return true
  }
}
