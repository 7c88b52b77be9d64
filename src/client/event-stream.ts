import { setTimeout as sleep } from 'node:timers/promises'
import type { NodeEvent } from './api-types.js'
import { NodeApiError } from './errors.js'
import { SseParser } from './sse.js'

export interface EventStreamOptions {
  url: string
  token: string
  /** Stops the stream (the generator returns). */
  signal: AbortSignal
  /** Start after this event id (default: only events from now on). */
  after?: number
  /** Wait before reconnecting after the stream broke (default 500 ms). */
  reconnectDelayMs?: number
  /** Called on each (re)connection. */
  onConnect?: () => void
  /** Called when the node's buffer no longer held `missed` events the client had not seen. */
  onGap?: (missed: number) => void
  /**
   * Called when the node restarted since the last event the client saw: what its earlier run sent after that event
   * is gone, and the node cannot say how much that was (maybe nothing). The stream goes on with the new run's events.
   */
  onRestart?: () => void
  /** Called when the stream broke and will be reconnected. */
  onDisconnect?: (err: unknown) => void
}

/**
 * The node's event stream (server-sent events) as an async generator that survives restarts of
 * the connection: each reconnect sends `Last-Event-ID`, so no buffered event is lost or repeated.
 * An authorization error (4xx) ends it with a NodeApiError.
 */
export async function * streamEvents (options: EventStreamOptions): AsyncGenerator<NodeEvent> {
  const { signal } = options
  // where to resume: the id of the last event seen, or the one the node named when the stream opened
  const position = { lastId: options.after }
  while (!signal.aborted) {
    try {
      yield * connectOnce(options, position)
    } catch (err) {
      if (signal.aborted) return
      if (err instanceof NodeApiError && err.status < 500) throw err
      options.onDisconnect?.(err)
    }
    await sleep(options.reconnectDelayMs ?? 500, undefined, { signal }).catch(() => {})
  }
}

async function * connectOnce (options: EventStreamOptions, position: { lastId: number | undefined }): AsyncGenerator<NodeEvent> {
  const response = await fetch(options.url, {
    headers: {
      Authorization: `Bearer ${options.token}`,
      Accept: 'text/event-stream',
      ...(position.lastId == null ? {} : { 'Last-Event-ID': String(position.lastId) })
    },
    signal: options.signal
  })
  if (!response.ok || response.body == null) {
    const body = await response.json().catch(() => ({})) as { error?: string }
    throw new NodeApiError(response.status, body.error ?? `the event stream answered ${response.status}`)
  }
  options.onConnect?.()
  const parser = new SseParser()
  const decoder = new TextDecoder()
  for await (const chunk of response.body) {
    for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
      if (message.id != null && /^\d+$/.test(message.id)) position.lastId = Number(message.id)
      if (message.event === 'gap') reportGap(options, message.data)
      else if (message.event === 'node') yield JSON.parse(message.data) as NodeEvent
    }
    // an id the node sent without an event (when the stream opened) counts too
    const named = parser.lastEventId
    if (named != null && /^\d+$/.test(named)) position.lastId = Number(named)
  }
}

function reportGap (options: EventStreamOptions, data: string): void {
  const gap = JSON.parse(data) as { missed?: unknown, restarted?: unknown }
  if (gap.restarted === true) options.onRestart?.()
  if (typeof gap.missed === 'number' && gap.missed > 0) options.onGap?.(gap.missed)
}
