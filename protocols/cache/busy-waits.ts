import type { EffectQueue, Millis, Random } from '../core/index.js'
import { creditWait, LOOKUP_TIMER } from './lookup-attempts.js'
import type { Lookup } from './lookup-attempts.js'
import type { LookupConfig } from './lookup-config.js'

export const RETRY_TIMER = 'cache/busy-retry/'

/**
 * A lookup whose providers left are all busy waits, then asks them again. A `busy` answer means what a full fetch
 * slot means: the provider is alive, holds the entry and is working, so the wait moves the GET's deadline like a slot
 * wait does (up to `maxBusyWaitMs` per GET, never past `maxGetMs`). The waits grow (`busyRetryMs` doubling up to
 * `busyRetryMaxMs`) and are jittered: the nodes a provider answered busy together do not all ask again together.
 */
export class BusyWaits {
  constructor (private readonly effects: EffectQueue, private readonly random: Random, private readonly config: LookupConfig) {}

  /** Starts a wait for `lookup`'s busy providers if its deadline, moved by the wait, allows one; false if not. */
  schedule (lookup: Lookup, now: Millis): boolean {
    if (lookup.busy.length === 0) return false
    const retryAt = now + this.delay(lookup.busyRounds)
    if (retryAt >= this.deadlineIfWaited(lookup, now, retryAt)) return false
    lookup.busyRounds++
    lookup.retryAt = retryAt
    this.effects.setTimer(RETRY_TIMER + lookup.key, retryAt)
    this.resume(lookup, now)
    return true
  }

  /** The lookup is idle again while its retry is pending (another provider it asked meanwhile failed): the wait goes on. */
  resume (lookup: Lookup, now: Millis): void {
    if (lookup.busySince !== undefined || lookup.retryAt === undefined) return
    lookup.busySince = now
    this.effects.setTimer(LOOKUP_TIMER + lookup.key, this.deadlineIfWaited(lookup, now, lookup.retryAt))
  }

  /** The wait is over (its timer fired, or the lookup asks another provider): the GET's deadline moves by its length. */
  stop (lookup: Lookup, now: Millis): void {
    const since = lookup.busySince
    if (since === undefined) return
    lookup.busySince = undefined
    const credit = this.credit(lookup, now - since)
    lookup.busyWaited += credit
    creditWait(lookup, credit, this.effects)
  }

  /** The retry timer fired. */
  fired (lookup: Lookup, now: Millis): void {
    this.stop(lookup, now)
    lookup.retryAt = undefined
  }

  /** `busyRetryMs` · 2^round, at most `busyRetryMaxMs`, jittered down by up to half. */
  private delay (round: number): Millis {
    const ceiling = Math.min(this.config.busyRetryMaxMs, this.config.busyRetryMs * 2 ** round)
    return Math.round(ceiling * (1 - this.random.nextFloat() / 2))
  }

  /** The GET's deadline if the lookup waits from `now` until `retryAt`. */
  private deadlineIfWaited (lookup: Lookup, now: Millis, retryAt: Millis): Millis {
    return Math.min(lookup.endsBy, lookup.deadline + this.credit(lookup, retryAt - now))
  }

  private credit (lookup: Lookup, waited: Millis): Millis {
    return Math.max(0, Math.min(waited, this.config.maxBusyWaitMs - lookup.busyWaited))
  }
}
