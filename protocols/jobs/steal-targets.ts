import type { Millis, PeerId } from '../core/index.js'
import type { MembershipView } from '../membership/index.js'
import { BoundedMap } from './bounded.js'

/** A neighbour that gave this node forged tickets is not asked for work again for this long. */
export const SHUN_FORGER_MS = 60_000
/** Longest a neighbour that left steal requests unanswered is passed over. */
export const MAX_SILENT_PASS_MS = 10_000
/** Neighbours remembered as passed over at most (the oldest are forgotten first). */
const MAX_PASSED_OVER = 64

/**
 * Which neighbour an idle worker asks for work: the busiest live member with 2 or more units queued (membership
 * load), except those it passes over. A neighbour that gave it forged tickets is passed over for `SHUN_FORGER_MS`.
 * One that left `n` requests in a row unanswered (one still unanswered when the next is due) is passed over for
 * `backoffMs` × 2^(n-1), at most `MAX_SILENT_PASS_MS`: a neighbour that claims a long queue in its load and gives
 * nothing would otherwise draw every request of every idle worker, and nobody would steal from the really busy.
 * An honest one whose queue ran short, or whose answer was lost, is passed over briefly; its next answer clears it.
 */
export class StealTargets {
  /** The neighbour asked last, until it answers: `stolen` is taken from it only. */
  private asking: PeerId | undefined
  private readonly passedOver = new BoundedMap<PeerId, Millis>(MAX_PASSED_OVER)
  private readonly silences = new BoundedMap<PeerId, number>(MAX_PASSED_OVER)

  constructor (private readonly self: PeerId, private readonly backoffMs: Millis) {}

  /** The neighbour to ask for work now, if any; it counts as asked. */
  next (view: MembershipView, now: Millis): PeerId | undefined {
    if (this.asking !== undefined) this.unanswered(this.asking, now)
    this.asking = view.busiest(1 + this.passedOver.size).find(m => m.load.queued >= 2 && m.peer !== this.self && !this.passesOver(m.peer, now))?.peer
    return this.asking
  }

  /** An answer (`stolen`) from `from`: true if it is the neighbour asked, whose answer counts; it is asked no more. */
  answered (from: PeerId): boolean {
    if (from !== this.asking) return false
    this.asking = undefined
    this.silences.delete(from)
    return true
  }

  /** `peer` gave forged tickets. */
  shun (peer: PeerId, now: Millis): void {
    this.passOver(peer, now + SHUN_FORGER_MS)
  }

  private unanswered (peer: PeerId, now: Millis): void {
    const silences = (this.silences.get(peer) ?? 0) + 1
    this.silences.set(peer, silences)
    this.passOver(peer, now + Math.min(MAX_SILENT_PASS_MS, this.backoffMs * 2 ** Math.min(silences - 1, 30)))
  }

  private passOver (peer: PeerId, until: Millis): void {
    this.passedOver.set(peer, Math.max(until, this.passedOver.get(peer) ?? -Infinity))
  }

  private passesOver (peer: PeerId, now: Millis): boolean {
    const until = this.passedOver.get(peer)
    if (until === undefined) return false
    if (now < until) return true
    this.passedOver.delete(peer)
    return false
  }
}
