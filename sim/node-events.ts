import { EventKind } from './engine/index.js'
import type { Engine, SimEvent } from './engine/index.js'
import type { FaultState } from './network/index.js'

/** A node's pending protocol timers: each key's latest token (events of earlier settings are stale). */
export type NodeTimers = Map<string, number>

/**
 * The virtual-time timers of a harness's nodes, as the node's ProtocolHost keeps its setTimeouts: setting a key again
 * or cancelling it (deleting it from the node's map) makes its earlier event stale, so a protocol only hears the
 * timers it still wants. One token counter per harness, so a seed replays the same events.
 */
export class TimerBook {
  private nextToken = 0

  constructor (private readonly engine: Engine) {}

  set (timers: NodeTimers, node: number, key: string, at: number): void {
    const token = ++this.nextToken
    timers.set(key, token)
    const event = this.engine.event(Math.max(at, this.engine.now), EventKind.timer)
    event.node = node
    event.key = key
    event.token = token
    this.engine.push(event)
  }

  /** The key of `event` if it is still the live timer on `timers` (taken off and traced), else undefined. */
  take (timers: NodeTimers, event: SimEvent): string | undefined {
    const key = event.key as string
    if (timers.get(key) !== event.token) return undefined
    timers.delete(key)
    this.engine.trace.event(this.engine.now, EventKind.timer, event.node, -1, event.token)
    return key
  }
}

/**
 * Whether a node may handle `event` now under the faults: never while it is down; a paused node keeps the event in
 * `pending` for its resume; a slow node handles each event once, `slowMs` late (the event is requeued, marked).
 */
export function readyUnderFaults (event: SimEvent, faults: FaultState, engine: Engine, pending: SimEvent[]): boolean {
  if (faults.up[event.node] === 0) return false
  if (faults.paused[event.node] === 1) {
    pending.push(event)
    return false
  }
  const slow = faults.slowMs[event.node] as number
  if (slow > 0 && !event.deferred) {
    event.deferred = true
    engine.requeue(event, event.time + slow)
    return false
  }
  return true
}
