import type { NodeEvent, NodeEventBody } from '../../src/client/api-types.js'

export type { NodeEvent, NodeEventBody }

export type EventListener = (event: NodeEvent) => void

export interface EventBusInit {
  /** Events kept for replay after a reconnect (default 1,000). */
  capacity?: number
  now?: () => number
  /**
   * The first event's id (default 1). A node starts from its clock (ms × 1000), so ids grow across restarts
   * and a client resuming with an id from an earlier run gets this run's events, not silence.
   */
  firstId?: number
}

/** A first id above every id an earlier run of the node gave (it would need 1,000 events per ms to catch up). */
export function firstIdFromClock (now = Date.now()): number {
  return now * 1000 + 1
}

/**
 * The node's in-process event bus: every event gets the next id and goes to every subscriber and
 * into a bounded ring buffer, from which a reconnecting client replays what it missed.
 */
export class EventBus {
  private readonly ring: Array<NodeEvent | undefined>
  private readonly listeners = new Set<EventListener>()
  private readonly now: () => number
  readonly firstId: number
  private nextId: number

  constructor (init: EventBusInit = {}) {
    this.ring = new Array<NodeEvent | undefined>(init.capacity ?? 1000)
    this.now = init.now ?? Date.now
    this.firstId = init.firstId ?? 1
    this.nextId = this.firstId
  }

  /** The id the last event got (`firstId - 1` before any). */
  get lastId (): number { return this.nextId - 1 }

  emit (body: NodeEventBody): NodeEvent {
    const event = { ...body, id: this.nextId++, time: this.now() } as NodeEvent
    this.ring[event.id % this.ring.length] = event
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // a failing subscriber must not stop the others nor the emitter
      }
    }
    return event
  }

  /** Calls `listener` on every later event; returns the unsubscribe function. */
  subscribe (listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Buffered events with an id above `afterId`, oldest first (the oldest ones may have been overwritten). */
  since (afterId: number): NodeEvent[] {
    const first = Math.max(afterId + 1, this.nextId - this.ring.length, 1)
    const events: NodeEvent[] = []
    for (let id = first; id < this.nextId; id++) {
      const event = this.ring[id % this.ring.length]
      if (event?.id === id) events.push(event)
    }
    return events
  }

  /** The last `count` buffered events, oldest first. */
  recent (count: number): NodeEvent[] {
    return this.since(Math.max(0, this.lastId - count))
  }
}
