import { shuffleInPlace } from '../core/index.js'
import type { Millis, PeerId, Random } from '../core/index.js'
import type { MemberTable } from './table.js'

interface Probe {
  readonly target: PeerId
  readonly seq: number
  acked: boolean
}

interface Relay {
  readonly requester: PeerId
  readonly requesterSeq: number
  readonly target: PeerId
  readonly at: Millis
}

/**
 * Indirect probes relayed at once, at most, for one requester and in all. An honest requester asks a
 * helper at most once per period and a relay lives a period or two; a ping-req costs its sender one
 * small message and this node a ping to a peer of the sender's choosing, so without a cap a flood of
 * them would make this node a ping amplifier.
 */
export const MAX_RELAYS_PER_REQUESTER = 3
export const MAX_RELAYS = 64

/**
 * SWIM probe bookkeeping: a shuffled round-robin over live members (every member is probed once per
 * round, in random order), the probe in flight, and indirect probes relayed for others.
 */
export class Prober {
  private order: PeerId[] = []
  private index = 0
  private probe: Probe | undefined
  private seq = 0
  private deadCursor = 0
  private readonly relays = new Map<number, Relay>()
  /** Ping-reqs not relayed because of the caps. */
  relaysRefused = 0

  constructor (private readonly table: MemberTable, private readonly random: Random) {}

  nextSeq (): number {
    this.seq = (this.seq + 1) >>> 0
    return this.seq
  }

  /** Ends the current probe; returns its target if it was never acknowledged. */
  finish (): PeerId | undefined {
    const probe = this.probe
    this.probe = undefined
    return probe !== undefined && !probe.acked ? probe.target : undefined
  }

  /** Picks the next live member to probe and opens a probe to it, or returns undefined if none. */
  begin (): { target: PeerId, seq: number } | undefined {
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.index < this.order.length) {
        const target = this.order[this.index++] as PeerId
        const member = this.table.get(target)
        if (member === undefined || member.status === 'dead') continue
        const probe = { target, seq: this.nextSeq(), acked: false }
        this.probe = probe
        return probe
      }
      this.rebuildRound()
    }
    return undefined
  }

  /** The probe in flight, if it still waits for an ack. */
  pending (): Probe | undefined {
    return this.probe !== undefined && !this.probe.acked ? this.probe : undefined
  }

  /** Marks the probe acked if (seq, subject) match it; true on a match. */
  acknowledge (seq: number, subject: PeerId): boolean {
    const probe = this.probe
    if (probe === undefined || probe.seq !== seq || probe.target !== subject) return false
    probe.acked = true
    return true
  }

  /** Up to `k` distinct members other than `exclude`, alive and confirmed (a rumour may not exist), chosen at random. */
  helpers (k: number, exclude: PeerId): PeerId[] {
    const out: PeerId[] = []
    const n = this.order.length
    for (let tries = 0; tries < k * 4 && out.length < k && n > 0; tries++) {
      const peer = this.order[this.random.nextInt(n)] as PeerId
      if (peer === exclude || out.includes(peer)) continue
      const member = this.table.get(peer)
      if (member !== undefined && member.status === 'alive' && member.confirmed) out.push(peer)
    }
    return out
  }

  /** Opens a ping to `target` on behalf of `requester` (an indirect probe); returns the ping's seq, or undefined over the caps. */
  relay (requester: PeerId, requesterSeq: number, target: PeerId, now: Millis): number | undefined {
    if (this.relays.size >= MAX_RELAYS || this.relaysFor(requester) >= MAX_RELAYS_PER_REQUESTER) return this.refuseRelay()
    const seq = this.nextSeq()
    this.relays.set(seq, { requester, requesterSeq, target, at: now })
    return seq
  }

  /** Counts a ping-req not relayed (over the caps, or refused by the caller). */
  refuseRelay (): undefined {
    this.relaysRefused++
    return undefined
  }

  private relaysFor (requester: PeerId): number {
    let count = 0
    for (const relay of this.relays.values()) if (relay.requester === requester) count++
    return count
  }

  /** The relay an ack answers, removed from the table, if (seq, subject) match one. */
  takeRelay (seq: number, subject: PeerId): Relay | undefined {
    const relay = this.relays.get(seq)
    if (relay === undefined || relay.target !== subject) return undefined
    this.relays.delete(seq)
    return relay
  }

  /** Drops relays older than `maxAge`. */
  expireRelays (now: Millis, maxAge: Millis): void {
    for (const [seq, relay] of this.relays) if (now - relay.at > maxAge) this.relays.delete(seq)
  }

  /**
   * The next member held dead that this node once heard from directly, round-robin, for a reconnect probe, or
   * undefined. A tombstone of a peer it never heard from (passed on, or a rumour that never answered) is left to
   * those that did hear from it: it may not exist, and each would otherwise cost a dial every round.
   */
  nextDead (): PeerId | undefined {
    const n = this.table.deadCount
    for (let tries = 0; tries < n; tries++) {
      this.deadCursor = (this.deadCursor + 1) % n
      const member = this.table.deadAt(this.deadCursor)
      if (member?.confirmed === true) return member.peer
    }
    return undefined
  }

  private rebuildRound (): void {
    this.order = []
    for (const member of this.table.values()) if (member.status !== 'dead') this.order.push(member.peer)
    shuffleInPlace(this.order, this.random)
    this.index = 0
  }
}
