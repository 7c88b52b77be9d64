import test from 'ava'
import { SseParser } from '../../../src/client/sse.js'
import { serveApi, TOKEN } from './api-server.js'

/** Opens the SSE stream with optional Last-Event-ID and reads `count` node events, then closes it. */
async function readStream (url: string, count: number, lastEventId?: string): Promise<{ ids: number[], gaps: number[] }> {
  const controller = new AbortController()
  const response = await fetch(`${url}/api/v1/events/stream`, {
    headers: { Authorization: `Bearer ${TOKEN}`, ...(lastEventId == null ? {} : { 'Last-Event-ID': lastEventId }) },
    signal: controller.signal
  })
  const parser = new SseParser()
  const ids: number[] = []
  const gaps: number[] = []
  const decoder = new TextDecoder()
  for await (const chunk of response.body!) {
    for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
      if (message.event === 'gap') gaps.push((JSON.parse(message.data) as { missed: number }).missed)
      if (message.event === 'node') ids.push(Number(message.id))
    }
    if (ids.length >= count) break
  }
  controller.abort()
  return { ids, gaps }
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
  t.deepEqual(behind.gaps, [4])
  t.deepEqual(behind.ids, [7, 8, 9, 10])
})
