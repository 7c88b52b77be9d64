/** The clock and timers a {@link Pacer} runs on: the real ones, or a test's. */
export interface PacerClock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (timer: unknown) => void
}

export const REAL_CLOCK: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: timer => { clearTimeout(timer as NodeJS.Timeout) }
}

/**
 * Paces the redraws of a stream of changes: tellings at least `windowMs` apart, each change told within
 * `windowMs` of happening. A change after a quiet spell (nothing told for `windowMs`) is told at once; a
 * change soon after the last telling waits `holdMs` (default 3/4 of the window) for company, or until the
 * window since the last telling is over if that is later, and is told with every change that came meanwhile.
 * Where a window opened at each telling draws a steady stream every `windowMs` (20 changes a second, 80 ms:
 * 12.5 tellings a second, waits spread from 0 to 80 ms), this draws it once per two changes (10 a second,
 * waits of 60 and 10 ms); the longest wait is the window either way.
 */
export class Pacer {
  private timer: unknown
  private told = -Infinity
  private readonly holdMs: number

  constructor (private readonly windowMs: number, private readonly tell: () => void, private readonly clock: PacerClock = REAL_CLOCK, holdMs?: number) {
    this.holdMs = Math.min(windowMs, holdMs ?? Math.round(windowMs * 3 / 4))
  }

  /** Something changed: tell now, or with the telling already due, or when it has waited for company. */
  changed (): void {
    if (this.timer !== undefined) return
    const now = this.clock.now()
    if (now - this.told >= this.windowMs) {
      this.fire()
      return
    }
    const wait = Math.max(this.told + this.windowMs, now + this.holdMs) - now
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.fire()
    }, wait)
  }

  /** Tells now, whatever is due (tests, shutdown). */
  flush (): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.fire()
  }

  private fire (): void {
    this.told = this.clock.now()
    this.tell()
  }
}
