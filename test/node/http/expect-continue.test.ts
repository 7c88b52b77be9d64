import test from 'ava'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { request, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { serve } from './cache-server.js'

const KEY = 'cd'.repeat(16)

/**
 * Everything the server sends on `socket` until it closes the connection; cut short at a 100 Continue (the
 * server asks for the body, which this client never sends).
 */
async function answerOn (socket: Socket): Promise<string> {
  let text = ''
  return await new Promise((resolve, reject) => {
    socket.on('data', chunk => {
      text += String(chunk)
      if (text.startsWith('HTTP/1.1 100 ')) socket.destroy()
    })
    socket.once('close', () => { resolve(text) })
    socket.once('error', reject)
  })
}

test('a PUT that expects 100-continue and declares more than the limit is answered 202 at once: its body is never asked for', async t => {
  const { port, store, cache } = await serve(t, { maxEntryBytes: 1000 })
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => { socket.destroy() })
  socket.write(`PUT /cache/${KEY} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n`)
  const answer = await answerOn(socket) // the server closes the connection after it
  t.regex(answer, /^HTTP\/1\.1 202 /, 'the final answer, not 100 Continue')
  const [head, body] = answer.split('\r\n\r\n')
  t.regex(head!, /\r\nconnection: close(\r\n|$)/i)
  t.is(body, 'entry over the 1000-byte limit: not stored\n')
  t.like(cache.counters, { puts: 1, oversized: 1, stored: 0 })
  t.is(store.stats().entries, 0)
})

test('a PUT that expects 100-continue within the limit is told to continue and stored; so is any other request', async t => {
  const { url, store, cache } = await serve(t, { maxEntryBytes: 1000 })
  const body = randomBytes(800)
  const req = request(`${url}/cache/${KEY}`, { method: 'PUT', headers: { 'Content-Length': body.length, Expect: '100-continue' } })
  req.on('continue', () => { req.end(body) })
  const [res] = await once(req, 'response') as [IncomingMessage]
  res.resume()
  t.is(res.statusCode, 200)
  t.deepEqual(Buffer.from((await store.get(KEY))!.bytes!), body)
  const get = request(`${url}/cache/${KEY}`, { headers: { Expect: '100-continue' } })
  get.end()
  const [got] = await once(get, 'response') as [IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of got) chunks.push(chunk as Buffer)
  t.is(got.statusCode, 200)
  t.deepEqual(Buffer.concat(chunks), body)
  t.like(cache.counters, { puts: 1, stored: 1, oversized: 0 })
})
