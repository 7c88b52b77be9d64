import type { PacerClock } from '../../src/tui/pacer.js'

/** A clock that moves only when told: `advanceTo` runs the timers due on the way, each at its time. */
export interface FakeClock extends PacerClock { advanceTo: (time: number) => void }

export function fakeClock (): FakeClock {
  let time = 0
  const timers = new Set<{ at: number, fn: () => void }>()
  return {
    now: () => time,
    setTimeout: (fn, ms) => {
      const timer = { at: time + ms, fn }
      timers.add(timer)
      return timer
    },
    clearTimeout: timer => { timers.delete(timer as { at: number, fn: () => void }) },
    advanceTo: to => {
      for (;;) {
        const next = [...timers].filter(t => t.at <= to).sort((a, b) => a.at - b.at)[0]
        if (next === undefined) break
        timers.delete(next)
        time = next.at
        next.fn()
      }
      time = to
    }
  }
}
