import type { Millis, PeerId } from '../core/index.js'
import type { MembershipView } from '../membership/index.js'
import { BoundedMap } from './bounded.js'

/** A neighbour that gave this node forged tickets is not asked for work again for this long. */
export const SHUN_FORGER_MS = 60_000
/** Longest a neighbour that gave nothing is passed over. */
export const MAX_SILENT_PASS_MS = 10_000
/** How long a thief waits for the answer to its request before it counts as silence and another neighbour is asked. */
export const STEAL_ANSWER_WAIT_MS = 1000
/** A neighbour's run of requests that gave nothing is forgotten after this long without another. */
const NOTHING_FORGOTTEN_MS = 3 * MAX_SILENT_PASS_MS
/** A request whose answer is still out is forgotten after this long: a later answer to it is no longer taken. */
const LATE_ANSWER_KEPT_MS = NOTHING_FORGOTTEN_MS
/** Neighbours remembered as passed over at most (the oldest are forgotten first). */
const MAX_PASSED_OVER = 64

/**
 * Which neighbour an idle worker asks for work: the busiest live member with 2 or more units queued (membership
 * load), one request at a time, except those it passes over. A neighbour that gave forged tickets is passed over
 * for `SHUN_FORGER_MS`. One that gave nothing (`n` times in a row: an empty answer, only tickets this node could not
 * take, or none within `STEAL_ANSWER_WAIT_MS`) is passed over for `backoffMs` × 2^(n-1), at most `MAX_SILENT_PASS_MS`: a neighbour that
 * claims a long queue in its load and gives nothing would otherwise draw every request of every idle worker, and
 * nobody would steal from the really busy. An honest victim answers at once, with nothing when its queue ran short,
 * so a thief moves on without waiting; its next tickets clear the run.
 */
export class StealTargets {
  /** The request out: `stolen` is taken from that neighbour only, until another is asked. */
  private asking: { readonly peer: PeerId, readonly at: Millis } | undefined
  private readonly passedOver = new BoundedMap<PeerId, Millis>(MAX_PASSED_OVER)
  private readonly nothing = new BoundedMap<PeerId, { count: number, last: Millis }>(MAX_PASSED_OVER)
  /** Per neighbour, requests whose answer has not come (one per answer it may still send) and when it was last asked. */
  private readonly unanswered = new BoundedMap<PeerId, { count: number, last: Millis }>(MAX_PASSED_OVER)

  constructor (private readonly self: PeerId, private readonly backoffMs: Millis) {}

  /** The neighbour to ask for work now (it counts as asked), or undefined: nobody to ask, or an answer is awaited. */
  next (view: MembershipView, now: Millis): PeerId | undefined {
    if (this.asking !== undefined) {
      if (now < this.asking.at + STEAL_ANSWER_WAIT_MS) return undefined
      this.gaveNothing(this.asking.peer, now)
    }
    const peer = view.busiest(1 + this.passedOver.size).find(m => m.load.queued >= 2 && m.peer !== this.self && !this.passesOver(m.peer, now))?.peer
    this.asking = peer === undefined ? undefined : { peer, at: now }
    if (peer !== undefined) {
      const before = this.unanswered.get(peer)
      this.unanswered.set(peer, { count: before !== undefined && now - before.last < LATE_ANSWER_KEPT_MS ? before.count + 1 : 1, last: now })
    }
    return peer
  }

  /** Whether `from` is the neighbour asked, whose answer counts (once). */
  awaits (from: PeerId): boolean {
    return from === this.asking?.peer
  }

  /** `from` answered with `tickets` tickets this node took: true if it is the neighbour asked, whose answer counts (once). */
  answered (from: PeerId, tickets: number, now: Millis): boolean {
    if (!this.awaits(from)) return false
    this.asking = undefined
    this.answerCame(from)
    if (tickets > 0) this.nothing.delete(from)
    else this.gaveNothing(from, now)
    return true
  }

  /**
   * An answer from `from` that is not awaited (`awaits` false): true if it answers a request this node gave up
   * waiting for (`STEAL_ANSWER_WAIT_MS`) less than `LATE_ANSWER_KEPT_MS` ago, once per request. The victim let go of
   * its tickets when it sent them: the thief gives them back to their leaders at once (Worker `onStolen`) rather than
   * leave them idle until their lease runs out. It changes nothing else: the neighbour was already counted as giving
   * nothing.
   */
  lateAnswer (from: PeerId, now: Millis): boolean {
    const out = this.unanswered.get(from)
    if (out === undefined || this.awaits(from)) return false
    if (now - out.last >= LATE_ANSWER_KEPT_MS) {
      this.unanswered.delete(from)
      return false
    }
    this.answerCame(from)
    return true
  }

  private answerCame (from: PeerId): void {
    const out = this.unanswered.get(from)
    if (out === undefined) return
    if (out.count <= 1) this.unanswered.delete(from)
    else out.count--
  }

  /** `peer` gave forged tickets. */
  shun (peer: PeerId, now: Millis): void {
    this.passOver(peer, now + SHUN_FORGER_MS)
  }

  private gaveNothing (peer: PeerId, now: Millis): void {
    const before = this.nothing.get(peer)
    const count = before !== undefined && now - before.last < NOTHING_FORGOTTEN_MS ? before.count + 1 : 1
    this.nothing.set(peer, { count, last: now })
    this.passOver(peer, now + Math.min(MAX_SILENT_PASS_MS, this.backoffMs * 2 ** Math.min(count - 1, 30)))
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
