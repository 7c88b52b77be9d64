import test, { type ExecutionContext } from 'ava'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NodeClient } from '../../src/client/node-client.js'
import type { NodeEvent } from '../../src/client/api-types.js'
import { EventBus, firstIdFromClock } from '../../node/events/index.js'
import { serveEventStream } from '../../node/http/event-stream.js'

/** A node's event stream on a plain server; `onStream` runs once the stream of each connection is open. */
async function serveStream (t: ExecutionContext, bus: EventBus, onStream: (req: IncomingMessage, res: ServerResponse, drop: () => void) => void = () => {}): Promise<NodeClient> {
  const server = createServer((req, res) => {
    const dropped = new AbortController()
    serveEventStream(bus, req, res, { signal: dropped.signal })
    onStream(req, res, () => { dropped.abort() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  })
  return new NodeClient({ httpUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'tok' })
}

/** The peers of the events `stream` yields until one names `last`. */
async function peersUntil (stream: AsyncGenerator<NodeEvent>, stop: AbortController, last: string): Promise<string[]> {
  const peers: string[] = []
  for await (const event of stream) {
    peers.push((event as { peer?: string }).peer ?? event.type)
    if (peers.at(-1) === last) stop.abort()
  }
  return peers
}

test('a stream from "now" that drops before its first event resumes from the id the node named: what came during the reconnect wait arrives', async t => {
  const bus = new EventBus()
  bus.emit({ type: 'peer-up', peer: 'before-the-client' })
  const resumedFrom: Array<string | undefined> = []
  const client = await serveStream(t, bus, (req, _res, drop) => {
    resumedFrom.push(req.headers['last-event-id'] as string | undefined)
    if (resumedFrom.length === 1) {
      drop() // the connection goes before any event...
      bus.emit({ type: 'peer-up', peer: 'during-the-wait-1' }) // ...and these come before the client is back
      bus.emit({ type: 'peer-up', peer: 'during-the-wait-2' })
    } else {
      bus.emit({ type: 'peer-up', peer: 'after-the-reconnect' })
    }
  })
  const stop = new AbortController()
  const peers = await peersUntil(client.subscribe({ signal: stop.signal, reconnectDelayMs: 1 }), stop, 'after-the-reconnect')
  t.deepEqual(peers, ['during-the-wait-1', 'during-the-wait-2', 'after-the-reconnect'])
  t.deepEqual(resumedFrom, [undefined, '1'], 'the reconnect resumed from the id the first stream named')
})

test('a client resuming with an id from before the node restarted is told the earlier run\'s last events may be lost, then gets the new run\'s', async t => {
  const before = new EventBus({ firstId: firstIdFromClock(1_000_000) })
  for (let i = 0; i < 3; i++) before.emit({ type: 'peer-up', peer: `old-${i}` })
  const after = new EventBus({ firstId: firstIdFromClock(1_000_500) })
  for (let i = 0; i < 2; i++) after.emit({ type: 'peer-up', peer: `new-${i}` })
  const client = await serveStream(t, after)
  const stop = new AbortController()
  let restarts = 0
  const gaps: number[] = []
  const stream = client.subscribe({ signal: stop.signal, after: before.lastId, onRestart: () => { restarts++ }, onGap: missed => { gaps.push(missed) } })
  t.deepEqual(await peersUntil(stream, stop, 'new-1'), ['new-0', 'new-1'])
  t.is(restarts, 1)
  t.deepEqual(gaps, [], 'no count is made up: the new run lost none of its own')
})
