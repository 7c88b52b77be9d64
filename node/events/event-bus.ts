import type { NodeEvent, NodeEventBody } from '../../src/client/api-types.js'

export type { NodeEvent, NodeEventBody }

export type EventListener = (event: NodeEvent) => void

/** What a client that saw events up to some id gets on its return (see `EventBus.replay`). */
export interface Replay {
  /** The buffered events after its id, oldest first. */
  events: NodeEvent[]
  /** Events of this run after its id that the buffer no longer holds. */
  missed: number
  /** Its id is from an earlier run of the node: what that run sent after it is gone, and how much is unknown. */
  restarted: boolean
}

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

  /**
   * What a client that saw events up to `afterId` (0: none) missed. An id from an earlier run resumes at this run's
   * first event, with `restarted` set: the buffer of that run is gone, so how many of its events the client lost is
   * unknown (maybe none), but it must not be told none were.
   */
  replay (afterId: number): Replay {
    const restarted = afterId > 0 && afterId < this.firstId - 1
    const from = Math.max(afterId, this.firstId - 1)
    const events = this.since(from)
    const firstKept = events[0]?.id ?? this.nextId
    return { events, missed: Math.max(0, firstKept - from - 1), restarted }
  }

  /** The last `count` buffered events, oldest first. */
  recent (count: number): NodeEvent[] {
    return this.since(Math.max(0, this.lastId - count))
  }
}
