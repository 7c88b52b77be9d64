import type { Millis } from '../core/index.js'

/**
 * The pace a replica asks of its pulls (`PullPace`): a minimum rate over a sliding window, shared among the pulls one
 * pusher has running here, and an absolute deadline that grows with the entry.
 */
export interface PullTiming {
  /** The pull's header must come within this. */
  readonly headerMs: number
  /** The window the body's bytes are counted over, once it has run this long: a whole number of `sliceMs`. */
  readonly windowMs: number
  /** The window slides, and is judged, in steps of this. */
  readonly sliceMs: number
  /**
   * The rate a pusher is asked for here, judged pull by pull: over every window each of its pulls must bring its own
   * share, this divided by its pusher's pulls running here (the most of them in each slice). A pull ahead of its share
   * does not make up for another behind: the pusher's pulls bring this between them only while each keeps its share.
   */
  readonly minPusherBytesPerSecond: number
  /** The absolute deadline's slack (`pullDeadlineMs`). */
  readonly slackMs: number
  /** The absolute deadline's most, whatever the entry's size (`pullDeadlineMs`). */
  readonly maxMs: number
}

/** Why a pull was cut: too few bytes in its last window, or past its absolute deadline. */
export type PaceVerdict =
  | { readonly ok: true }
  | { readonly ok: false, readonly reason: 'too-slow', readonly bytes: number, readonly needed: number }
  | { readonly ok: false, readonly reason: 'past-deadline', readonly deadlineMs: number }

/**
 * How long a replica's pull of an entry of `size` bytes may take in all, from its dial to its last byte: its header's
 * time, one window, the entry at the lowest share of the rate (`minPusherBytesPerSecond / maxPerPusher`), and slack,
 * but never more than `maxMs`. A pull that keeps its share in every window beats it up to `maxMs`' worth of the lowest
 * share (27.8 MiB in 2 h at 4 KiB/s); a bigger entry must come faster than that share, its size over `maxMs`.
 */
export function pullDeadlineMs (size: number, timing: PullTiming, maxPerPusher: number): number {
  const lowestShare = timing.minPusherBytesPerSecond / Math.max(1, maxPerPusher)
  return Math.min(timing.maxMs, timing.headerMs + timing.windowMs + Math.ceil(size / lowestShare * 1000) + timing.slackMs)
}

interface Slice { bytes: number, pulls: number }

/**
 * One pull's pace, judged on the driver's clock (pure: the driver tells it the bytes, its pusher's pulls, the time).
 * From the body's start, time is cut into slices; each slice owes `sliceMs` at the pusher's rate divided by the most
 * pulls that pusher had running here in it, and every `windowMs` of slices must have brought what they owed in all.
 * A pusher trickling a byte every few seconds fails its first window; an honest pusher on a slow uplink split over
 * many pulls owes only its share for each. No judgement in the body's first window (slow start, a pause to send).
 */
export class PullPace {
  private readonly slices: Slice[] = []
  /** Index of `slices`' last element since the body's start. */
  private current = 0
  private pulls: number
  private bodyAt: Millis | undefined
  private bodyDone = false

  constructor (private readonly timing: PullTiming, private readonly deadlineAt: Millis, pusherPulls: number) {
    this.pulls = Math.max(1, pusherPulls)
  }

  /** The body's header came: the windows count from here. */
  bodyStarted (now: Millis): void {
    this.bodyAt = now
    this.current = 0
    this.slices.length = 0
    this.slices.push({ bytes: 0, pulls: this.pulls })
  }

  /** `bytes` more of the body came. */
  received (bytes: number, now: Millis): void {
    this.advance(now)
    const last = this.slices.at(-1)
    if (last !== undefined) last.bytes += bytes
  }

  /** The whole body came: what is left (the store's hashing and syncing) is not the pusher's to answer for. */
  bodyEnded (): void {
    this.bodyDone = true
  }

  /** The pusher has `pulls` pulls running here now (this one among them). */
  shared (pulls: number, now: Millis): void {
    this.advance(now)
    this.pulls = Math.max(1, pulls)
    const last = this.slices.at(-1)
    if (last !== undefined) last.pulls = Math.max(last.pulls, this.pulls)
  }

  /** Whether the body came and ran past its free first window at `now`: its pace is judged from here on. */
  judging (now: Millis): boolean {
    return this.bodyAt !== undefined && !this.bodyDone && now - this.bodyAt >= this.timing.windowMs
  }

  /** Whether the pull may go on at `now`. */
  check (now: Millis): PaceVerdict {
    if (this.bodyDone) return { ok: true }
    if (now >= this.deadlineAt) return { ok: false, reason: 'past-deadline', deadlineMs: this.deadlineAt }
    if (this.bodyAt === undefined) return { ok: true }
    this.advance(now)
    const perWindow = this.timing.windowMs / this.timing.sliceMs
    // the slice under way is not judged yet: the `perWindow` whole ones before it
    const whole = this.slices.slice(0, -1).slice(-perWindow)
    if (this.current < perWindow) return { ok: true }
    let bytes = 0
    let needed = 0
    for (const slice of whole) {
      bytes += slice.bytes
      needed += this.timing.minPusherBytesPerSecond * this.timing.sliceMs / 1000 / slice.pulls
    }
    needed = Math.ceil(needed)
    return bytes >= needed ? { ok: true } : { ok: false, reason: 'too-slow', bytes, needed }
  }

  /** Opens the slices up to `now`'s, each owing the pusher's current share; keeps one window of whole ones. */
  private advance (now: Millis): void {
    if (this.bodyAt === undefined) return
    const at = Math.floor((now - this.bodyAt) / this.timing.sliceMs)
    const keep = this.timing.windowMs / this.timing.sliceMs + 1
    if (at - this.current > keep) {
      this.slices.length = 0
      this.current = at - keep
    }
    for (; this.current < at; this.current++) {
      this.slices.push({ bytes: 0, pulls: this.pulls })
      if (this.slices.length > keep) this.slices.shift()
    }
  }
}
