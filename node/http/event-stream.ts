import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EventBus, NodeEvent } from '../events/index.js'

export interface EventStreamInit {
  /** Comment lines sent this often keep proxies and idle timers from closing the stream (default 15 s). */
  heartbeatMs?: number
  /** Suggested reconnect delay sent to clients (default 1 s). */
  retryMs?: number
  /** Ends the stream (the server is stopping). */
  signal?: AbortSignal
  /**
   * A client this far behind (bytes written but not yet taken by its socket) is cut off: it reconnects with
   * `Last-Event-ID` and gets what it missed, or a `gap`. A client that stopped reading costs no more. Default 1 MiB.
   */
  maxBufferedBytes?: number
}

const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024

/**
 * Serves the event bus as server-sent events: every event with its id, so a client that reconnects
 * with `Last-Event-ID` (or `?after=ID`) first gets what it missed from the ring buffer. When the
 * buffer no longer holds all of that, a `gap` event says how many were lost.
 */
export function serveEventStream (bus: EventBus, req: IncomingMessage, res: ServerResponse, init: EventStreamInit = {}): void {
  const after = resumePoint(req, bus.lastId)
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no'
  })
  const maxBuffered = init.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  let open = true
  // Nothing is written once the stream is ended: not an event that comes while a stopping server waits for a
  // slow socket to close (a write after end would raise an error on the response, and crash the node).
  const end = (): void => {
    if (!open) return
    open = false
    unsubscribe()
    clearInterval(heartbeat)
    init.signal?.removeEventListener('abort', end)
    res.end()
  }
  const send = (text: string): void => {
    if (!open) return
    res.write(text)
    if (res.writableLength > maxBuffered) end()
  }
  res.on('error', end).once('close', end)
  const unsubscribe = bus.subscribe(event => { send(frame(event)) })
  const heartbeat = setInterval(() => { send(': heartbeat\n\n') }, init.heartbeatMs ?? 15_000).unref()
  init.signal?.addEventListener('abort', end, { once: true })
  send(`retry: ${init.retryMs ?? 1000}\n\n`)
  // a client from an earlier run of the node resumes at this run's first event (what it missed of the old run is gone)
  const from = Math.max(after, bus.firstId - 1)
  const missed = bus.since(from)
  const firstKept = missed[0]?.id ?? bus.lastId + 1
  if (firstKept > from + 1) send(`event: gap\ndata: ${JSON.stringify({ missed: firstKept - from - 1 })}\n\n`)
  for (const event of missed) send(frame(event))
}

function frame (event: NodeEvent): string {
  return `id: ${event.id}\nevent: node\ndata: ${JSON.stringify(event)}\n\n`
}

/** The last id the client has: `Last-Event-ID`, else `?after=`, else now (only new events). */
function resumePoint (req: IncomingMessage, now: number): number {
  const header = req.headers['last-event-id']
  const query = new URL(req.url ?? '/', 'http://node').searchParams.get('after')
  const raw = typeof header === 'string' && header !== '' ? header : query
  if (raw == null || !/^\d{1,16}$/.test(raw)) return now
  return Math.min(Number(raw), now)
}
