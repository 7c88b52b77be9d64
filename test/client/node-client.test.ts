import test from 'ava'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeClient, readReadyFile } from '../../src/client/node-client.js'
import { processStartTime } from '../../src/config/pid.js'
import { NodeApiError, NodeNotRunningError, NodeUnreachableError, RequestBodyTooLargeError } from '../../src/client/errors.js'
import { SseParser } from '../../src/client/sse.js'
import type { NodeEvent } from '../../src/client/api-types.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function serve (t: { teardown: (fn: () => Promise<void>) => void }, handler: Handler): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const json = (res: ServerResponse, status: number, body: unknown): void => { res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body)) }

test('reads are retried after a 5xx or a reset connection; actions and 4xx are not', async t => {
  const seen: string[] = []
  let failures = 2
  const url = await serve(t, (req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization ?? ''}`)
    if (req.url === '/api/v1/peers' && failures-- > 0) {
      if (failures === 1) json(res, 503, { error: 'busy' })
      else req.socket.destroy()
      return
    }
    if (req.url === '/api/v1/cache/gc') return json(res, 500, { error: 'disk gone' })
    if (req.url === '/api/v1/jobs/x') return json(res, 404, { error: 'no such job: x' })
    json(res, 200, [])
  })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { retries: 2, retryDelayMs: 1 })
  t.deepEqual(await client.peers(), [])
  t.deepEqual(seen, Array(3).fill('GET /api/v1/peers Bearer tok'))
  seen.length = 0
  const gc = await t.throwsAsync(async () => await client.cacheGc(), { instanceOf: NodeApiError })
  t.is(gc.message, 'disk gone')
  t.deepEqual(seen, ['GET /api/v1/status Bearer tok', 'POST /api/v1/cache/gc Bearer tok'], 'the node answered the probe; the gc went once')
  seen.length = 0
  t.is((await t.throwsAsync(async () => await client.job('x'), { instanceOf: NodeApiError })).status, 404)
  t.is(seen.length, 1)
})

test('a node that does not answer in time fails the call with NodeUnreachableError after the retries', async t => {
  let calls = 0
  let secondSeen!: () => void
  const second = new Promise<void>(resolve => { secondSeen = resolve })
  const url = await serve(t, () => { if (++calls === 2) secondSeen() })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { timeoutMs: 1000, retries: 1, retryDelayMs: 1 })
  const err = await t.throwsAsync(async () => await client.node(), { instanceOf: NodeUnreachableError })
  t.regex(err.message, /did not answer \(no answer within 1 s\): is it running\?/, 'said in seconds, not as a DOMException\'s code 23')
  await second // the retry reached the node (a loaded machine may see it just after the client gave up)
  t.is(calls, 2)
})

test('an answer whose body stalls is the node not answering: retried, then NodeUnreachableError, never an empty result', async t => {
  let calls = 0
  const url = await serve(t, (_req, res) => {
    calls++
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.write('{"jobs": [') // and nothing more
  })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { timeoutMs: 200, retries: 1, retryDelayMs: 1 })
  t.regex((await t.throwsAsync(async () => await client.jobs(), { instanceOf: NodeUnreachableError })).message, /did not answer \(no answer within 0\.2 s\)/)
  t.is(calls, 2)
})

test('a server that is not a gmesh node is named as such, and a refused token points at --data', async t => {
  const url = await serve(t, (req, res) => {
    if (req.url === '/api/v1/node') res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>')
    else json(res, 401, { error: 'missing or wrong bearer token' })
  })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { retries: 0 })
  const html = await t.throwsAsync(async () => await client.node(), { instanceOf: NodeApiError })
  t.regex(html.message, /something other than JSON: is a gmesh node listening there\?/)
  const refused = await t.throwsAsync(async () => await client.peers(), { instanceOf: NodeApiError })
  t.is(refused.status, 401)
  t.regex(refused.message, /refused this client's token \(missing or wrong bearer token\): is --data the directory of the node you mean\?/)
})

test('a node that is not listening is named with the reason, and where to start one', async t => {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await new Promise<void>(resolve => server.close(() => { resolve() })) // nothing listens there now
  const err = await t.throwsAsync(async () => await new NodeClient({ httpUrl: closed, token: 'tok' }, { retries: 0 }).node(), { instanceOf: NodeUnreachableError })
  t.regex(err.message, /did not answer \(fetch failed: ECONNREFUSED\): is it running\? `gmesh up` starts one/)
})

test('a verify or gc takes as long as the store needs: the per-request timeout is not theirs', async t => {
  let finishVerify!: () => void
  const verifying = new Promise<void>(resolve => { finishVerify = resolve })
  let verifyArrived!: () => void
  const arrived = new Promise<void>(resolve => { verifyArrived = resolve })
  const url = await serve(t, (req, res) => {
    if (req.url === '/api/v1/status') json(res, 200, {}) // the node answers: the verify may take its time
    if (req.url === '/api/v1/cache/verify') {
      verifyArrived()
      void verifying.then(() => { json(res, 200, { checked: 3, quarantined: 0 }) })
    }
  })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { timeoutMs: 50, probeTimeoutMs: 10_000, retries: 0 })
  const verify = client.cacheVerify()
  await arrived
  await t.throwsAsync(async () => await client.node(), { instanceOf: NodeUnreachableError }, 'a read still times out after 50 ms')
  finishVerify() // well past the 50 ms: the node hashed a big cache
  t.deepEqual(await verify, { checked: 3, quarantined: 0 })
})

test('submitting a job waits while the node snapshots a big project, but the user can still give up', async t => {
  let finishSnapshot!: () => void
  const snapshotting = new Promise<void>(resolve => { finishSnapshot = resolve })
  const arrivals: Array<() => void> = []
  let closedUnanswered!: () => void
  const abandonedClosed = new Promise<void>(resolve => { closedUnanswered = resolve })
  const url = await serve(t, (req, res) => {
    res.on('close', () => { if (!res.writableFinished) closedUnanswered() })
    if (req.url === '/api/v1/status') json(res, 200, {})
    if (req.url === '/api/v1/jobs') {
      arrivals.shift()?.()
      void snapshotting.then(() => { json(res, 200, { jobId: 'j1' }) })
    }
  })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { timeoutMs: 50, probeTimeoutMs: 10_000, retries: 0 })
  const arrived = (): Promise<void> => new Promise<void>(resolve => { arrivals.push(resolve) })

  const givenUp = new AbortController()
  const first = arrived()
  const abandoned = client.submitJob({ projectDir: '/p', tasks: ['build'] } as never, givenUp.signal)
  await first
  givenUp.abort(new Error('interrupted'))
  await t.throwsAsync(abandoned, { message: 'interrupted' })
  await abandonedClosed // the node sees the request go: it can stop snapshotting

  const second = arrived()
  const submitted = client.submitJob({ projectDir: '/p', tasks: ['build'] } as never)
  await second
  await t.throwsAsync(async () => await client.node(), { instanceOf: NodeUnreachableError }, 'a read still times out after 50 ms')
  finishSnapshot() // well past the 50 ms
  t.deepEqual(await submitted, { jobId: 'j1' })
})

test('gc, verify and submitting a job fail with NodeUnreachableError on a frozen node (it takes connections, answers nothing) instead of waiting forever', async t => {
  const asked: string[] = []
  const url = await serve(t, req => { asked.push(`${req.method ?? ''} ${req.url ?? ''}`) }) // never answers: SIGSTOPped
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { timeoutMs: 100, retries: 0 })
  // The bound of the old behaviour (waiting forever): a TimeoutError from this signal, not NodeUnreachableError.
  const patience = AbortSignal.timeout(10_000)
  for (const action of [
    async () => await client.cacheGc({}, patience),
    async () => await client.cacheVerify(patience),
    async () => await client.submitJob({ projectDir: '/p', requested: ['build'], units: [] }, patience)
  ]) t.regex((await t.throwsAsync(action, { instanceOf: NodeUnreachableError })).message, /did not answer/)
  t.deepEqual(asked, Array(3).fill('GET /api/v1/status'), 'no action was sent to a node that could not be seen to answer')
})

// serial: its 17 MiB of JSON would hold up the event loop under the short timeouts of the tests running beside it
test.serial('a body over the node\'s limit fails with RequestBodyTooLargeError before anything is sent, not as a node that is not running', async t => {
  let requests = 0
  const url = await serve(t, (_req, res) => { requests++; json(res, 200, {}) })
  const client = new NodeClient({ httpUrl: url, token: 'tok' }, { retries: 0 })
  const units = [{ id: 'u', name: 'x'.repeat(17 * 1024 * 1024), project: ':a', tasks: [], run: [], exclude: [], testFilters: [], dependsOn: [] }]
  const submit = await t.throwsAsync(client.submitJob({ projectDir: '/p', requested: ['build'], units }), { instanceOf: RequestBodyTooLargeError })
  t.regex(submit.message, /^the request to POST \/api\/v1\/jobs is \d+ bytes of JSON, over the node's 16777216-byte limit for it: not sent$/)
  const cancel = await t.throwsAsync(client.cancelJob('a-1', 'x'.repeat(70_000)), { instanceOf: RequestBodyTooLargeError })
  t.is(cancel.limit, 65536)
  t.is(requests, 0)
  t.deepEqual(await client.cancelJob('a-1', 'x'.repeat(60_000)), {}, 'a body within the limit is sent')
  t.is(requests, 1)
})

test('an action without a timeout still names a node that is not there and a refusal the node gave', async t => {
  const url = await serve(t, (_req, res) => { json(res, 409, { error: 'the store is closing' }) })
  const client = new NodeClient({ httpUrl: url, token: 'tok' })
  t.is((await t.throwsAsync(async () => await client.cacheGc(), { instanceOf: NodeApiError })).message, 'the store is closing')
  const free = createServer()
  await new Promise<void>(resolve => free.listen(0, '127.0.0.1', resolve))
  const closed = `http://127.0.0.1:${(free.address() as AddressInfo).port}`
  await new Promise<void>(resolve => free.close(() => { resolve() })) // nothing listens there now
  const gone = new NodeClient({ httpUrl: closed, token: 'tok' }, { retries: 0 })
  t.regex((await t.throwsAsync(async () => await gone.cacheVerify(), { instanceOf: NodeUnreachableError })).message, /ECONNREFUSED/)
})

test('the event stream reconnects after the node drops it, resuming from Last-Event-ID without loss or repeats', async t => {
  const resumes: Array<string | undefined> = []
  let next = 1
  const url = await serve(t, (req, res) => {
    const last = req.headers['last-event-id'] as string | undefined
    resumes.push(last)
    res.writeHead(200, { 'Content-Type': 'text/event-stream' })
    const from = last == null ? next : Number(last) + 1
    // Each connection sends two events, then the node drops it.
    for (let id = from; id < from + 2; id++) res.write(`id: ${id}\nevent: node\ndata: ${JSON.stringify({ type: 'peer-up', peer: `p${id}`, id, time: 0 })}\n\n`)
    next = from + 2
    res.end()
  })
  const client = new NodeClient({ httpUrl: url, token: 'tok' })
  const stop = new AbortController()
  const ids: number[] = []
  let disconnects = 0
  for await (const event of client.subscribe({ signal: stop.signal, after: 0, reconnectDelayMs: 1, onDisconnect: () => { disconnects++ } }) as AsyncGenerator<NodeEvent>) {
    ids.push(event.id)
    if (ids.length === 6) stop.abort()
  }
  t.deepEqual(ids, [1, 2, 3, 4, 5, 6])
  t.deepEqual(resumes, ['0', '2', '4'])
  t.is(disconnects, 0, 'a cleanly ended stream is simply reopened')
})

test('the event stream stops on a refused token instead of retrying forever', async t => {
  const url = await serve(t, (_req, res) => { json(res, 401, { error: 'missing or wrong bearer token' }) })
  const client = new NodeClient({ httpUrl: url, token: 'bad' })
  const stream = client.subscribe({ signal: new AbortController().signal, reconnectDelayMs: 1 })
  const err = await t.throwsAsync(async () => { for await (const event of stream) t.fail(JSON.stringify(event)) }, { instanceOf: NodeApiError })
  t.is(err.status, 401)
})

test('SSE parser: any chunking, CRLF, multi-line data, comments and retry lines', t => {
  const text = ': hello\r\nretry: 1000\r\n\r\nid: 7\r\nevent: node\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: plain\n\n'
  for (const size of [1, 2, 5, text.length]) {
    const parser = new SseParser()
    const messages = []
    for (let i = 0; i < text.length; i += size) messages.push(...parser.push(text.slice(i, i + size)))
    t.deepEqual(messages, [{ id: '7', event: 'node', data: '{"a":\n1}' }, { id: '7', event: 'message', data: 'plain' }], `chunks of ${size}`)
  }
})

test('a ready file whose pid now names another process (same pid, other start time) is no running node', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-ready-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const ready = { peerId: 'p', multiaddrs: [], httpUrl: 'http://127.0.0.1:1', cacheUrl: 'http://127.0.0.1:1/cache/', pid: process.pid }
  await writeFile(join(dir, 'node.json'), JSON.stringify({ ...ready, pidStart: processStartTime(process.pid) }))
  t.is((await readReadyFile(dir)).pid, process.pid, 'this very process: running')
  await writeFile(join(dir, 'node.json'), JSON.stringify({ ...ready, pidStart: '1' }))
  await t.throwsAsync(readReadyFile(dir), { instanceOf: NodeNotRunningError })
})

test('SSE parser: the last event id is the last dispatched block\'s, data or not, never a block cut off mid-way', t => {
  const parser = new SseParser()
  t.is(parser.lastEventId, undefined)
  t.deepEqual(parser.push('retry: 1000\n\nid: 41\n\n'), [], 'a block with only an id dispatches no message...')
  t.is(parser.lastEventId, '41', '...but names where the stream stands')
  parser.push('id: 42\nevent: node\ndata: {"a"')
  t.is(parser.lastEventId, '41', 'the connection could drop before event 42 is whole')
  t.deepEqual(parser.push(':1}\n\n'), [{ id: '42', event: 'node', data: '{"a":1}' }])
  t.is(parser.lastEventId, '42')
})
