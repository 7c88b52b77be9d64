import type { MembershipView } from '../../protocols/membership/index.js'
import type { PeerLoadView } from '../../protocols/cache/index.js'

/**
 * What the cache lookup needs to rank providers, from the membership view (liveness and load)
 * and from round-trip times measured on real transfers.
 */
export class MembershipPeerLoad implements PeerLoadView {
  private readonly rtts = new Map<string, number>()
  private readonly transfers = new Map<string, number>()

  constructor (private readonly view: MembershipView) {}

  /** Smooths a measured round trip into the peer's RTT estimate. */
  recordRtt (peer: string, ms: number): void {
    const previous = this.rtts.get(peer)
    this.rtts.set(peer, previous === undefined ? ms : 0.8 * previous + 0.2 * ms)
  }

  /** Counts a transfer from `peer` in progress (its load as a provider, for this node). */
  transferStarted (peer: string): void {
    this.transfers.set(peer, (this.transfers.get(peer) ?? 0) + 1)
  }

  transferEnded (peer: string): void {
    const left = (this.transfers.get(peer) ?? 1) - 1
    if (left <= 0) this.transfers.delete(peer)
    else this.transfers.set(peer, left)
  }

  forget (peer: string): void {
    this.rtts.delete(peer)
  }

  rtt (peer: string): number | undefined {
    return this.rtts.get(peer)
  }

  load (peer: string): number {
    const member = this.view.get(peer)
    const work = member === undefined ? 0 : member.load.running + member.load.queued
    return work + (this.transfers.get(peer) ?? 0)
  }

  isAlive (peer: string): boolean {
    return this.view.isLive(peer)
  }

  alivePeers (): readonly string[] {
    return this.view.liveMembers().map(member => member.peer)
  }
}
