/**
 * The node's event stream as the fake build node serves it: server-sent events with ids from 1, a stream that opens
 * with nothing to replay naming the newest id, and a reconnect with `Last-Event-ID` replaying what came after it
 * (as node/http/event-stream.ts does). `drop` cuts every open stream, to test a client's reconnect; after
 * `drop(true)` the next connection replays every event from the first, as a node that lost track of the id would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export class FakeEventStream {
  private readonly events: Array<{ id: number, text: string }> = []
  private readonly open = new Set<ServerResponse>()
  private replayAll = false

  /** Serves one stream; `opened` hears the id it resumes after (`none` without one). */
  serve (req: IncomingMessage, res: ServerResponse, opened: (after: string) => void): void {
    const header = req.headers['last-event-id']
    const after = this.replayAll ? 0 : typeof header === 'string' ? Number(header) : this.lastId
    this.replayAll = false
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' })
    this.open.add(res)
    res.once('close', () => { this.open.delete(res) })
    const replay = this.events.filter(e => e.id > after)
    for (const event of replay) res.write(event.text)
    if (replay.length === 0) res.write(`id: ${this.lastId}\n\n`)
    opened(typeof header === 'string' ? header : 'none')
  }

  /** Sends an event (its body; the id and time are added) to every open stream, and keeps it for replays. */
  emit (body: Record<string, unknown>): void {
    const id = this.lastId + 1
    const text = `event: node\nid: ${id}\ndata: ${JSON.stringify({ ...body, id, time: Date.now() })}\n\n`
    this.events.push({ id, text })
    for (const res of this.open) res.write(text)
  }

  /** Cuts every open stream; with `replayAll`, the next one replays from the first event whatever id it asks after. */
  drop (replayAll: boolean): void {
    this.replayAll = replayAll
    for (const res of this.open) res.destroy()
    this.open.clear()
  }

  private get lastId (): number { return this.events.at(-1)?.id ?? 0 }
}
