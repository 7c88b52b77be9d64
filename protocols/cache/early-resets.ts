import type { Millis } from '../core/index.js'

/** When a pusher's pulls ended early, before their pace judged them, make a fault (`EarlyResets`). */
export interface EarlyResetConfig {
  /** A pusher's early ends within this of the first of them are one episode (its pulls dropped together). */
  readonly togetherMs: number
  /** The `episodes`-th episode of a pusher within this is a fault... */
  readonly withinMs: number
  /** ...and so is each later one while `episodes` of them fall within `withinMs`. */
  readonly episodes: number
  /** Pushers remembered at most; past this the longest-remembered one is let go. */
  readonly maxPushers: number
}

/**
 * A replica's count of each pusher's pulls that ended early (pure, on the driver's clock): their stream reset or
 * closed before the header or in the body's free first window, before `PullPace` judged them. One such end is no
 * fault: an honest pusher restarts, its connection drops, and every pull it had running here ends at once. But a
 * pusher that trickles through each free window and resets just before its first judgement, then offers again,
 * held slots for ever without a cool-down. So the ends of one pusher within `togetherMs` of each other are one
 * episode (a dropped connection ends all its pulls together: one), and the `episodes`-th episode within `withinMs`
 * is a fault, as is every later one while that many fall within `withinMs` (the count is not wiped by the fault:
 * straight after its cool-down, its next early reset cools it again, for longer). With the defaults, 3 in 10 min:
 * an honest pusher is cooled only if its connection drops three times in 10 min, each while a pull was young here.
 */
export class EarlyResets {
  /** Each pusher's last episodes' starts, oldest first; in order of their last episode (re-inserted on one). */
  private readonly pushers = new Map<string, Millis[]>()

  constructor (private readonly config: EarlyResetConfig) {}

  /** Pushers remembered now. */
  get size (): number { return this.pushers.size }

  /** A pull of `pusher` ended early at `now`: whether that is its fault (`PullCooldowns.fault`). */
  ended (pusher: string, now: Millis): boolean {
    const { togetherMs, withinMs, episodes } = this.config
    const starts = (this.pushers.get(pusher) ?? []).filter(at => now - at < withinMs)
    const last = starts.at(-1)
    if (last !== undefined && now - last < togetherMs) return false // the same episode: counted at its first end
    starts.push(now)
    this.pushers.delete(pusher)
    this.pushers.set(pusher, starts.slice(-episodes))
    this.trim(now)
    return starts.length >= episodes
  }

  /** Lets go of pushers past the bound: first those with no episode left within `withinMs`, then the longest remembered. */
  private trim (now: Millis): void {
    if (this.pushers.size <= this.config.maxPushers) return
    for (const [pusher, starts] of this.pushers) {
      if (starts.every(at => now - at >= this.config.withinMs)) this.pushers.delete(pusher)
    }
    for (const pusher of this.pushers.keys()) {
      if (this.pushers.size <= this.config.maxPushers) break
      this.pushers.delete(pusher)
    }
  }
}
