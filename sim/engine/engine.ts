import { Xoshiro128 } from '../../protocols/core/index.js'
import { EventKind, SimEvent } from './event.js'
import type { EventKindValue } from './event.js'
import { EventQueue } from './queue.js'
import { TraceHash } from './trace.js'

/** Handles every event that is not a scheduled action. */
export interface EventHandler {
  handle: (event: SimEvent) => void
}

export class TimeTravelError extends Error {
  override name = 'TimeTravelError'
}

/**
 * The discrete-event core: a virtual clock, one seeded PRNG (the only source of randomness in a
 * run), an event queue ordered by (time, seq), and the trace hash.
 */
export class Engine {
  now = 0
  private seq = 0
  /** Events taken off the queue so far. */
  processed = 0
  readonly queue = new EventQueue()
  readonly trace = new TraceHash()
  readonly random: Xoshiro128

  constructor (readonly seed: number) {
    this.random = new Xoshiro128(seed)
  }

  /** A fresh event at `time` (not yet queued): fill its fields, then `push` it. */
  event (time: number, kind: EventKindValue): SimEvent {
    if (time < this.now) throw new TimeTravelError(`event at ${time} ms is before now (${this.now} ms)`)
    const event = new SimEvent()
    event.time = time
    event.seq = this.seq++
    event.kind = kind
    return event
  }

  push (event: SimEvent): void {
    this.queue.push(event)
  }

  /** Re-queues an existing event at a later time (paused or slow nodes), after everything already due then. */
  requeue (event: SimEvent, time: number): void {
    event.time = time
    event.seq = this.seq++
    this.queue.push(event)
  }

  /** Runs `action` at `time`. */
  at (time: number, action: () => void): void {
    const event = this.event(time, EventKind.action)
    event.action = action
    this.queue.push(event)
  }

  /** Processes events up to and including `endTime`; the clock ends at `endTime`. */
  runUntil (endTime: number, handler: EventHandler): void {
    const queue = this.queue
    while (queue.peekTime() <= endTime) {
      const event = queue.pop() as SimEvent
      this.now = event.time
      this.processed++
      if (event.kind === EventKind.action) (event.action as () => void)()
      else handler.handle(event)
    }
    this.now = endTime
  }
}
