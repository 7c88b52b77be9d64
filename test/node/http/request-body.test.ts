import test from 'ava'
import { request, type IncomingMessage } from 'node:http'
import { once } from 'node:events'
import { connect } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { serveApi, TOKEN } from './api-server.js'

const auth = { Authorization: `Bearer ${TOKEN}` }

/**
 * POSTs `bytes` bytes (with Content-Length when `declared`, else chunked) and sends all of them, as a client that
 * does not look at the answer before it is done; resolves to the answer it then reads. A reset connection rejects.
 */
async function postBig (url: string, path: string, bytes: number, declared: boolean): Promise<{ status: number, error: string }> {
  const { port } = new URL(url)
  const headers = { ...auth, 'Content-Type': 'application/json', ...(declared ? { 'Content-Length': String(bytes) } : {}) }
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/api/v1/${path}`, headers })
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  async function * body (): AsyncGenerator<Buffer> {
    for (let sent = 0; sent < bytes; sent += chunk.byteLength) yield chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent))
  }
  const [[res]] = await Promise.all([once(req, 'response') as Promise<[IncomingMessage]>, pipeline(body, req)])
  let text = ''
  for await (const part of res) text += String(part)
  return { status: res.statusCode ?? 0, error: (JSON.parse(text) as { error: string }).error }
}

test('a body of several MiB over the limit gets a 413 the client reads, not a reset connection, declared or chunked', async t => {
  const { url } = await serveApi(t)
  const chunked = await postBig(url, 'cache/gc', 4 * 1024 * 1024, false)
  t.is(chunked.status, 413)
  t.regex(chunked.error, /request body is over the 65536-byte limit/)
  t.deepEqual(await postBig(url, 'cache/gc', 20 * 1024 * 1024, true), { status: 413, error: 'request body of 20971520 bytes is over the 65536-byte limit' })
})

test('a job submission over its 16 MiB limit gets a 413 the client reads, and never reaches the jobs view', async t => {
  let submitted = 0
  const { url } = await serveApi(t, {
    jobs: { list: () => [], units: () => undefined, cancel: async () => 'unknown', submit: async () => { submitted++; return { jobId: 'x' } } }
  })
  t.deepEqual(await postBig(url, 'jobs', 40 * 1024 * 1024, true), { status: 413, error: 'request body of 41943040 bytes is over the 16777216-byte limit' })
  t.is(submitted, 0)
})

test('an authenticated POST whose body stalls is cut off at the idle limit, not held with its handler forever', async t => {
  t.timeout(20_000) // before the fix the socket stayed open: this bounds the wait
  const { url } = await serveApi(t, { idleSocketMs: 200 })
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  await once(socket, 'connect')
  // the headers promise 10 bytes of body, and none come
  socket.write(`POST /api/v1/cache/gc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n`)
  let answer = ''
  socket.on('data', chunk => { answer += String(chunk) })
  await once(socket, 'close')
  t.is(answer, '', 'closed without an answer')
})

test('a client that hangs up mid-upload is logged at debug, not as a failed request with a warning', async t => {
  t.timeout(20_000)
  const lines: Array<{ level: number, msg: string }> = []
  let logged!: () => void
  const handled = new Promise<void>(resolve => { logged = resolve })
  const sink = new Writable({
    write (chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { level: number, msg: string }
      lines.push(line)
      if (line.msg.startsWith('control API request')) logged()
      done()
    }
  })
  const { url } = await serveApi(t, { logger: pino({ level: 'debug' }, sink) })
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  await once(socket, 'connect')
  // 100-continue: the answer says the request reached the API before the client hangs up
  socket.write(`POST /api/v1/cache/gc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`)
  const [continued] = await once(socket, 'data') as [Buffer]
  t.regex(String(continued), /^HTTP\/1\.1 100 Continue/)
  socket.write('{"targetBy', () => { socket.destroy() })
  await handled
  const line = lines.find(l => l.msg.startsWith('control API request'))!
  t.is(line.msg, 'control API request ended early: the client went away')
  t.is(line.level, 20, 'debug')
  t.false(lines.some(l => l.level >= 40), 'no warning')
})

test('a POST refused before its body was read (no token) is answered with Connection: close, and the connection ends', async t => {
  const { url } = await serveApi(t)
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  await once(socket, 'connect')
  // no token: the 401 comes before any of the 1 MiB body promised is read
  socket.write('POST /api/v1/cache/gc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n')
  let answer = ''
  socket.on('data', chunk => { answer += String(chunk) })
  await once(socket, 'close')
  t.regex(answer, /^HTTP\/1\.1 401 /)
  t.regex(answer, /\r\nconnection: close\r\n/i)
})
