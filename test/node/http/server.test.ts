import test, { type ExecutionContext } from 'ava'
import { request } from 'node:http'
import { connect } from 'node:net'
import { once } from 'node:events'
import { silentLogger, type Logger } from '../../../src/config/logger.js'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { NodeHttpServer, type NodeHttpServerComponents } from '../../../node/http/server.js'
import { serveApi, TOKEN } from './api-server.js'

const KEY = 'ab'.repeat(16)

/** A node's HTTP server whose cache, control API and metrics all throw what `failure` says. */
async function failingServer (t: ExecutionContext, failure: string): Promise<string> {
  const fail = async (): Promise<never> => { throw new Error(failure) }
  const components: NodeHttpServerComponents = {
    cache: { handle: fail, refuseBeforeBody: () => false },
    api: { handle: fail, close: () => {} },
    metrics: { text: fail, contentType: 'text/plain' },
    logger: silentLogger()
  }
  const http = new NodeHttpServer(components, { host: '127.0.0.1', port: 0 })
  await http.start()
  t.teardown(async () => { await http.stop() })
  return http.url
}

/** A raw request with headers fetch would not send (another Host); resolves to the status, type and body. */
async function rawRequest (url: string, path: string, headers: Record<string, string>): Promise<{ status: number, type: string, body: string }> {
  const req = request(`${url}${path}`, { headers })
  req.end()
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  let body = ''
  for await (const chunk of res) body += String(chunk)
  return { status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }
}

test('a handler that throws: /metrics and the API answer 500 saying what failed; Gradle\'s GET and HEAD get a miss and its PUT an entry not stored', async t => {
  const url = await failingServer(t, 'the disk is gone')
  const metrics = await fetch(`${url}/metrics`)
  t.is(metrics.status, 500)
  t.regex(await metrics.text(), /internal error: the disk is gone/)
  const api = await fetch(`${url}/api/v1/status`)
  t.is(api.status, 500)
  t.deepEqual(await api.json(), { error: 'internal error: the disk is gone' })
  // a 5xx would turn Gradle's remote cache off for the rest of the build (design.md)
  t.is((await fetch(`${url}/cache/${KEY}`)).status, 404)
  t.is((await fetch(`${url}/cache/${KEY}`, { method: 'HEAD' })).status, 404)
  const put = await fetch(`${url}/cache/${KEY}`, { method: 'PUT', body: Buffer.alloc(64 * 1024, 1) })
  t.is(put.status, 202)
  t.regex(await put.text(), /could not be stored/)
})

test('every answer under /api/v1 is JSON: a request to another host name (421) and /api/v1 itself', async t => {
  const { url } = await serveApi(t)
  const misdirected = await rawRequest(url, '/api/v1/status', { Host: 'evil.example', Authorization: `Bearer ${TOKEN}` })
  t.is(misdirected.status, 421)
  t.is(misdirected.type, 'application/json')
  t.regex((JSON.parse(misdirected.body) as { error: string }).error, /not "evil\.example"/)
  t.regex((await rawRequest(url, '/metrics', { Host: 'evil.example' })).type, /text\/plain/, 'outside the API, text')
  for (const path of ['/api/v1', '/api/v1?x=1']) {
    const root = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    t.is(root.status, 404, path)
    t.regex((await root.json() as { error: string }).error, /no such API endpoint/)
  }
})

test('a 401 names the Bearer scheme and a 405 the methods allowed, in their headers', async t => {
  const { url } = await serveApi(t)
  const refused = await fetch(`${url}/api/v1/status`)
  t.is(refused.status, 401)
  t.regex(refused.headers.get('www-authenticate') ?? '', /^Bearer\b/)
  const wrong = await fetch(`${url}/api/v1/cache/gc`, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } })
  t.is(wrong.status, 405)
  t.is(wrong.headers.get('allow'), 'POST')
})

test('a request with more headers than the server takes is answered 431, not an empty 400', async t => {
  const { url } = await serveApi(t)
  const { port } = new URL(url)
  const socket = connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  socket.end(`GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'x'.repeat(20 * 1024)}\r\n\r\n`)
  let answer = ''
  for await (const chunk of socket) answer += String(chunk)
  t.regex(answer, /^HTTP\/1\.1 431 /)
  t.regex(answer, /headers are over the 16 KiB limit/)
})

/** A debug logger and a promise of its first line with `text` in it. */
function watchedLogger (text: string): { logger: Logger, logged: Promise<void> } {
  let seen!: () => void
  const logged = new Promise<void>(resolve => { seen = resolve })
  const sink = new Writable({ write (chunk, _encoding, done) { if (String(chunk).includes(text)) seen(); done() } })
  return { logger: pino({ level: 'debug' }, sink), logged }
}

test('a server bound before it serves holds requests until it is given its handlers, then answers them with those', async t => {
  const { logger, logged } = watchedLogger('request held')
  const http = new NodeHttpServer({ logger }, { host: '127.0.0.1', port: 0 })
  await http.start()
  t.teardown(async () => { await http.stop() })
  const answer = fetch(`${http.url}/cache/${KEY}`)
  await logged
  http.serve({
    cache: { handle: async (_req, res) => { res.writeHead(200, { 'Content-Length': 6 }).end('served') }, refuseBeforeBody: () => false },
    api: { handle: async () => {}, close: () => {} }
  })
  const res = await answer
  t.is(res.status, 200)
  t.is(await res.text(), 'served')
})

test('a server stopped before it served answers the requests it held as failed: a miss for Gradle\'s GET', async t => {
  const { logger, logged } = watchedLogger('request held')
  const http = new NodeHttpServer({ logger }, { host: '127.0.0.1', port: 0 })
  await http.start()
  const answer = fetch(`${http.url}/cache/${KEY}`)
  await logged
  await http.stop()
  t.is((await answer).status, 404)
})
