import type { Millis } from '../core/index.js'

/**
 * The leader's picture of one worker for one job: the units it holds, which of them it is running
 * (a worker runs its queue in order, `slots` at a time, so the leader can follow along: a unit
 * starts when it is handed out to a worker with a free slot, or when an earlier one of that
 * worker ends), and how fast it is, measured from start to result, never counting time queued.
 */
export class WorkerLoad {
  /** Units held, in the order they were handed out. */
  readonly outstanding = new Set<string>()
  /** Units believed running, with when each started. */
  readonly started = new Map<string, Millis>()
  /** Milliseconds per unit of cost: the worker's own claim, then measured once a unit of this job ran here. */
  msPerCost: number | undefined
  measured = false
  /** Lost its units for silence: gets no more until it reports again or this time passes. */
  benchedUntil: Millis = 0

  /** A worker the submitter named among the job's bidders (the leader follows no other peer). */
  constructor (public slots: number, public lastHeard: Millis) {}

  /** The worker now holds `id` (handed out, or reported after a steal). */
  add (id: string, now: Millis): void {
    this.outstanding.add(id)
    this.promote(now)
  }

  /** The worker no longer holds `id`; resolves to when it started, if it was running. */
  remove (id: string, now: Millis): Millis | undefined {
    const started = this.started.get(id)
    this.outstanding.delete(id)
    this.started.delete(id)
    this.promote(now)
    return started
  }

  /**
   * When a unit of `cost` handed out now would finish here: the worker's slots are free when
   * what runs ends (start + cost × speed, not before now), then the queue ahead of it takes the
   * earliest free slot in turn, and the unit the slot after that.
   */
  finishEstimate (cost: number, speed: number, costOf: (id: string) => number, now: Millis): Millis {
    const free: number[] = []
    for (const [id, at] of this.started) free.push(Math.max(now, at + costOf(id) * speed))
    while (free.length < this.slots) free.push(now)
    for (const id of this.outstanding) {
      if (this.started.has(id)) continue
      const slot = earliest(free)
      free[slot] = (free[slot] as number) + costOf(id) * speed
    }
    return (free[earliest(free)] as number) + cost * speed
  }

  private promote (now: Millis): void {
    for (const id of this.outstanding) {
      if (this.started.size >= this.slots) return
      if (!this.started.has(id)) this.started.set(id, now)
    }
  }
}

function earliest (times: readonly number[]): number {
  let best = 0
  for (let i = 1; i < times.length; i++) if ((times[i] as number) < (times[best] as number)) best = i
  return best
}
