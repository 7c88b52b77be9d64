import test from 'ava'
import { createServer, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { SseParser } from '../../../src/client/sse.js'
import { EventBus, firstIdFromClock } from '../../../node/events/index.js'
import { serveEventStream } from '../../../node/http/event-stream.js'
import { serveApi, TOKEN } from './api-server.js'

interface Gap { missed: number, restarted?: true }
interface StreamRead { ids: number[], gaps: Gap[], peers: string[] }

/** GETs an event stream at `url` and reads `count` node events (their ids and peers) and any gaps, then closes it. */
async function readEvents (url: string, count: number, headers: Record<string, string>): Promise<StreamRead> {
  const controller = new AbortController()
  const response = await fetch(url, { headers, signal: controller.signal })
  const parser = new SseParser()
  const read: StreamRead = { ids: [], gaps: [], peers: [] }
  const decoder = new TextDecoder()
  for await (const chunk of response.body!) {
    for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
      if (message.event === 'gap') read.gaps.push(JSON.parse(message.data) as Gap)
      if (message.event === 'node') {
        read.ids.push(Number(message.id))
        read.peers.push((JSON.parse(message.data) as { peer?: string }).peer ?? '')
      }
    }
    if (read.ids.length >= count) break
  }
  controller.abort()
  return read
}

/** Opens the node's stream with optional Last-Event-ID and reads `count` node events, then closes it. */
async function readStream (url: string, count: number, lastEventId?: string): Promise<StreamRead> {
  return await readEvents(`${url}/api/v1/events/stream`, count, { Authorization: `Bearer ${TOKEN}`, ...(lastEventId == null ? {} : { 'Last-Event-ID': lastEventId }) })
}

test('a client that reconnects with Last-Event-ID gets exactly the events it missed, then live ones', async t => {
  const { url, events } = await serveApi(t)
  for (let i = 0; i < 3; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const first = await readStream(url, 3, '0')
  t.deepEqual(first.ids, [1, 2, 3])
  for (let i = 3; i < 6; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const again = readStream(url, 4, '3')
  const later = setImmediate(() => { events.emit({ type: 'peer-down', peer: 'p0' }) })
  const second = await again
  clearImmediate(later)
  t.deepEqual(second.ids, [4, 5, 6, 7])
  t.deepEqual(second.gaps, [])
})

test('a client further behind than the ring buffer is told how many events it lost', async t => {
  const { url, events } = await serveApi(t, { ringCapacity: 4 })
  for (let i = 0; i < 10; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const behind = await readStream(url, 4, '2')
  t.deepEqual(behind.gaps, [{ missed: 4 }])
  t.deepEqual(behind.ids, [7, 8, 9, 10])
})

/** `serveEventStream` on a plain server, and a client socket that asks for the stream and then never reads. */
async function stuckClient (t: import('ava').ExecutionContext, init: { maxBufferedBytes?: number, signal?: AbortSignal }): Promise<{ bus: EventBus, response: () => ServerResponse }> {
  const bus = new EventBus({ capacity: 100 })
  let served: ServerResponse | undefined
  const answered = new Promise<void>(resolve => {
    const server = createServer((req, res) => { served = res; serveEventStream(bus, req, res, init); resolve() })
    server.listen(0, '127.0.0.1', () => {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => {
        socket.write('GET /events HTTP/1.1\r\nHost: node\r\n\r\n')
        socket.pause() // never reads a byte
      })
      t.teardown(() => { socket.destroy(); server.closeAllConnections(); server.close() })
    })
  })
  await answered
  return { bus, response: () => served! }
}

test('a client that stops reading is cut off once it is far behind, so it cannot make the node buffer without end', async t => {
  const { bus, response } = await stuckClient(t, { maxBufferedBytes: 64 * 1024 })
  for (let i = 0; i < 100_000; i++) bus.emit({ type: 'cache-get', key: `${i}`.padStart(64, '0'), source: 'local', bytes: 5120, ms: 0.3 })
  t.true(response().writableEnded, 'the stream was ended; the client reconnects with Last-Event-ID')
  t.true(response().writableLength < 64 * 1024 + 1024, `what it holds stays near the bound (${response().writableLength} bytes)`)
})

test('an event that comes while a stopping server waits for a slow client to go is not written to the ended stream', async t => {
  const stopping = new AbortController()
  const { bus, response } = await stuckClient(t, { signal: stopping.signal })
  const errors: Error[] = []
  response().on('error', err => { errors.push(err) })
  stopping.abort()
  bus.emit({ type: 'peer-down', peer: 'p1' })
  await new Promise(resolve => setImmediate(resolve))
  t.true(response().writableEnded)
  t.deepEqual(errors, [], 'no write after end')
})

test('a client that resumes with an id from before the node restarted gets the new run\'s events, after a gap saying the old run\'s last ones may be lost', async t => {
  const before = new EventBus({ firstId: firstIdFromClock(1_000_000) })
  for (let i = 0; i < 10; i++) before.emit({ type: 'peer-up', peer: `old-${i}` })
  const seen = before.lastId - 2 // the old run sent two more the client never got: this run cannot know how many
  const after = new EventBus({ firstId: firstIdFromClock(1_000_500) }) // the node came back half a second later
  for (let i = 0; i < 4; i++) after.emit({ type: 'peer-up', peer: `new-${i}` })
  t.true(after.firstId > seen, 'ids grow across restarts')
  const server = createServer((req, res) => { serveEventStream(after, req, res) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { peers, gaps } = await readEvents(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, 4, { 'Last-Event-ID': String(seen) })
  t.deepEqual(peers, ['new-0', 'new-1', 'new-2', 'new-3'])
  t.deepEqual(gaps, [{ missed: 0, restarted: true }], 'none of this run was lost; an unknown number of the old one may have been')
})

test('a stream opened from "now" names the newest id before any event comes, so a client has somewhere to resume from', async t => {
  const { url, events } = await serveApi(t)
  for (let i = 0; i < 3; i++) events.emit({ type: 'peer-up', peer: `p${i}` })
  const controller = new AbortController()
  t.teardown(() => { controller.abort() })
  const response = await fetch(`${url}/api/v1/events/stream`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: controller.signal })
  const parser = new SseParser()
  const decoder = new TextDecoder()
  const delivered = []
  for await (const chunk of response.body!) {
    delivered.push(...parser.push(decoder.decode(chunk, { stream: true })))
    if (parser.lastEventId != null) break
  }
  t.is(parser.lastEventId, '3')
  t.deepEqual(delivered, [], 'no event is made up for it')
})
