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
 * Paces the redraws of a stream of changes. A change after a quiet spell (nothing told for `windowMs`) is
 * told at once; a change soon after the last telling is told `windowMs` after it happened, together with
 * every change that came meanwhile. So each change is told within `windowMs` of happening, tellings are at
 * least `windowMs` apart, and a steady stream costs as few tellings as that allows: 20 changes a second in
 * a window of 80 ms are told once per two changes, where a window opened at each telling would tell every 80 ms.
 */
export class Pacer {
  private timer: unknown
  private told = -Infinity

  constructor (private readonly windowMs: number, private readonly tell: () => void, private readonly clock: PacerClock = REAL_CLOCK) {}

  /** Something changed: tell now, or with the telling already due, or `windowMs` from now. */
  changed (): void {
    if (this.timer !== undefined) return
    if (this.clock.now() - this.told >= this.windowMs) {
      this.fire()
      return
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.fire()
    }, this.windowMs)
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
