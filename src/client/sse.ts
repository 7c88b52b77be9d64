/** One server-sent event: its id (when sent), event name (default "message") and data lines joined. */
export interface SseMessage { id?: string, event: string, data: string }

/**
 * Incremental parser of a `text/event-stream` (WHATWG HTML, "server-sent events"): feed it decoded
 * text in any chunking; it returns each complete event. Comments and `retry:` are skipped.
 */
export class SseParser {
  private buffer = ''
  private data: string[] = []
  private event = ''
  private id?: string
  private dispatchedId?: string

  /**
   * The id of the last dispatched block, as an `EventSource` keeps it: set by a block with an `id:` and no data too
   * (a stream naming where it stands), and not by an `id:` line whose block never ended (a connection cut mid-event).
   */
  get lastEventId (): string | undefined { return this.dispatchedId }

  push (text: string): SseMessage[] {
    this.buffer += text
    const messages: SseMessage[] = []
    let newline
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A CR at the end of a chunk may be the first half of a CRLF: wait for the next chunk.
      if (newline === this.buffer.length - 1 && this.buffer.endsWith('\r')) break
      const line = this.buffer.slice(0, newline)
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1
      this.buffer = this.buffer.slice(newline + width)
      const message = this.line(line)
      if (message != null) messages.push(message)
    }
    return messages
  }

  private line (line: string): SseMessage | undefined {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.event = value
    else if (field === 'id' && !value.includes('\0')) this.id = value
    return undefined
  }

  private dispatch (): SseMessage | undefined {
    const data = this.data
    const event = this.event === '' ? 'message' : this.event
    this.dispatchedId = this.id
    this.data = []
    this.event = ''
    if (data.length === 0) return undefined
    return { ...(this.id == null ? {} : { id: this.id }), event, data: data.join('\n') }
  }
}
