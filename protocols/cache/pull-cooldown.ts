import type { Millis } from '../core/index.js'

/** How long a pusher whose pull here ended without its entry starts no new pull (`PullCooldowns`). */
export interface PullCooldownConfig {
  /** A pusher's first cool-down. */
  readonly baseMs: number
  /** Each fault after a cool-down ended doubles the next one, up to this. */
  readonly maxMs: number
  /** A pusher with no fault for this long after its cool-down ended starts over at `baseMs`. */
  readonly forgetMs: number
  /** Pushers remembered at most; past this the longest-remembered one is let go. */
  readonly maxPushers: number
}

interface Strikes { strikes: number, until: Millis }

/**
 * The replica's cool-downs of pushers whose pulls here ended by their fault (node/mesh `pullFault`; pure, on the driver's
 * clock). Without one, a pusher cut for sending too little offered again at once and got a fresh pull with its free
 * first window (and its header's 25 s): a few identities holding every slot could keep them for ever at a few bytes a
 * second. A cooling pusher's offers start no pull: 2 min after its first fault, doubling on each fault after a
 * cool-down ended (4, 8, 16, 32 min, then 1 h), back to 2 min once it had none for an hour. Its pulls cut together
 * (all of them in one window) count once: a fault while it cools is no new strike.
 */
export class PullCooldowns {
  /** In order of each pusher's last strike (re-inserted on one): the first is the longest remembered. */
  private readonly pushers = new Map<string, Strikes>()

  constructor (private readonly config: PullCooldownConfig) {}

  /** Pushers remembered now. */
  get size (): number { return this.pushers.size }

  /** When `pusher`'s cool-down ends, if it cools at `now`. */
  coolingUntil (pusher: string, now: Millis): Millis | undefined {
    const record = this.pushers.get(pusher)
    return record !== undefined && now < record.until ? record.until : undefined
  }

  /** Whether `pusher` had a fault not yet forgotten at `now` (cooling or not). */
  struck (pusher: string, now: Millis): boolean {
    const record = this.pushers.get(pusher)
    return record !== undefined && now < record.until + this.config.forgetMs
  }

  /** A pull of `pusher` ended by its fault at `now`: it cools down, longer after each cool-down it had lately. */
  fault (pusher: string, now: Millis): void {
    const { baseMs, maxMs, forgetMs } = this.config
    const record = this.pushers.get(pusher)
    if (record !== undefined && now < record.until) return
    const strikes = record === undefined || now >= record.until + forgetMs ? 1 : Math.min(record.strikes + 1, 32)
    this.pushers.delete(pusher)
    this.pushers.set(pusher, { strikes, until: now + Math.min(maxMs, baseMs * 2 ** (strikes - 1)) })
    this.trim(now)
  }

  /** Lets go of pushers past the bound: first the forgotten ones, then the longest remembered. */
  private trim (now: Millis): void {
    if (this.pushers.size <= this.config.maxPushers) return
    for (const [pusher, record] of this.pushers) {
      if (now >= record.until + this.config.forgetMs) this.pushers.delete(pusher)
    }
    for (const pusher of this.pushers.keys()) {
      if (this.pushers.size <= this.config.maxPushers) break
      this.pushers.delete(pusher)
    }
  }
}
