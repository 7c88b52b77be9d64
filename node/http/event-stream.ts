import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EventBus, NodeEvent, Replay } from '../events/index.js'

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
 * buffer no longer holds all of that, a `gap` event says how many were lost (or, after a restart of the
 * node, that an unknown number may have been). A stream that opens with no event to replay names the
 * newest id (`id:` alone), so the client has an id to resume from before any event comes.
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
  const replay = bus.replay(after)
  if (replay.missed > 0 || replay.restarted) send(`event: gap\ndata: ${JSON.stringify(gapOf(replay))}\n\n`)
  for (const event of replay.events) send(frame(event))
  // A client that gets no event yet still learns where it stands: if this connection drops before the next event,
  // it resumes from here, and what came meanwhile is replayed, not lost.
  if (replay.events.length === 0) send(`id: ${bus.lastId}\n\n`)
}

/** `missed`: events of this run no longer buffered; `restarted`: the client's id is from an earlier run (count unknown). */
function gapOf (replay: Replay): { missed: number, restarted?: true } {
  return replay.restarted ? { missed: replay.missed, restarted: true } : { missed: replay.missed }
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
