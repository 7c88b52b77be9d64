import test from 'ava'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { NodeClient } from '../../src/client/node-client.js'
import { runFeed } from '../../src/tui/feed.js'
import { NoTableError, runTop } from '../../src/tui/run-top.js'
import { TuiStore } from '../../src/tui/store.js'
import { firstIdFromClock } from '../../node/events/index.js'
import { fakePeers, startFakeApi } from './fake-api.js'

/** A node that answers polls from `answer`, or never while `stalled`; counts requests in flight. */
async function scriptedNode (t: { teardown: (fn: () => Promise<void>) => void }, answer: (path: string) => [number, unknown] | 'stall') {
  const node = { stalled: false, inFlight: 0, mostInFlight: 0, stalledRequests: 0, onStalled: () => {} }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').replace(/^\/api\/v1\//, '')
    node.inFlight++
    node.mostInFlight = Math.max(node.mostInFlight, node.inFlight)
    res.once('close', () => { node.inFlight-- })
    const answered = node.stalled ? 'stall' : answer(path)
    if (answered === 'stall') {
      node.stalledRequests++
      node.onStalled()
      return
    }
    const [status, body] = answered
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  })
  return { node, httpUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

const NODE_INFO = { peerId: 'self', multiaddrs: [], httpUrl: '', cacheUrl: '', pid: 1, version: '0', startedAt: '', dataDir: '/d', uptimeMs: 1, rssBytes: 1 }
const CACHE = { store: { entries: 0, bytes: 0, maxBytes: 1, hits: 0, misses: 0 }, http: { gets: 0, hits: 0, misses: 0, puts: 0, stored: 0 } }

function answers (peers: () => unknown[]): (path: string) => [number, unknown] {
  return path => {
    if (path === 'node') return [200, NODE_INFO]
    if (path === 'peers') return [200, peers()]
    if (path === 'cache') return [200, CACHE]
    if (path === 'jobs') return [200, { jobs: [] }]
    if (path.startsWith('events/stream')) return [401, { error: 'wrong token for the event stream' }]
    if (path.startsWith('events')) return [200, { events: [], lastId: 0, next: 0 }]
    return [404, { error: 'no such route' }]
  }
}

/** A bound on each wait, not a wait: the store gets there in well under a second when the feed works. */
const UNTIL_BOUND_MS = 20_000

/** Resolves once `test` holds of the store; rejects after UNTIL_BOUND_MS, naming the test and what the store held. */
async function until (store: TuiStore, test: () => boolean): Promise<void> {
  if (test()) return
  await new Promise<void>((resolve, reject) => {
    const off = store.subscribe(() => {
      if (!test()) return
      clearTimeout(bound)
      off()
      resolve()
    })
    const bound = setTimeout(() => {
      off()
      const { connected, error, peers, jobs, events, version } = store.snapshot
      const held = JSON.stringify({ connected, error, peers: peers.map(p => p.peerId), jobs: jobs.length, events: events.map(e => e.type), version })
      reject(new Error(`the store did not get to ${String(test)} within ${UNTIL_BOUND_MS / 1000} s; it holds ${held}`))
    }, UNTIL_BOUND_MS)
  })
}

test('a node that stops answering gets one poll at a time, not a pile of them, and is shown again once it answers', async t => {
  let peers = fakePeers(1)
  const { node, httpUrl } = await scriptedNode(t, answers(() => peers))
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(new NodeClient({ httpUrl, token: 'tok' }, { retries: 0, timeoutMs: 150 }), store, { signal: stop.signal, pollMs: 10 })
  t.teardown(async () => { stop.abort(); await feed })
  await until(store, () => store.snapshot.peers.length === 1)
  node.stalled = true
  // Three polls of four reads time out one after the other; with a timer per poll there were dozens open meanwhile.
  await new Promise<void>(resolve => { node.onStalled = () => { if (node.stalledRequests >= 12) resolve() } })
  t.false(store.snapshot.connected)
  // The node counts a timed-out read until it sees its socket close, which on a loaded machine can come after the next
  // poll's reads arrive: so at most two polls (4 reads each) and the stream, where a timer per poll left dozens open.
  t.true(node.mostInFlight <= 2 * 4 + 1, `at most two polls (4 reads each) and the event stream in flight, saw ${node.mostInFlight}`)
  peers = fakePeers(3)
  node.stalled = false
  await until(store, () => store.snapshot.connected && store.snapshot.peers.length === 3)
  t.pass()
})

test('an event stream the node refuses (4xx) does not stop the polls', async t => {
  let peers = fakePeers(1)
  const { httpUrl } = await scriptedNode(t, answers(() => peers))
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(new NodeClient({ httpUrl, token: 'tok' }, { retries: 0 }), store, { signal: stop.signal, pollMs: 20 })
  let ended = false
  void feed.then(() => { ended = true }, () => { ended = true })
  t.teardown(async () => { stop.abort(); await feed })
  await until(store, () => store.snapshot.error?.includes('wrong token for the event stream') === true)
  t.regex(store.snapshot.error!, /^event stream: .*wrong token for the event stream/, 'the error names the stream and why the node refused it')
  peers = fakePeers(2)
  await until(store, () => store.snapshot.peers.length === 2)
  t.deepEqual(store.snapshot.peers.map(p => p.peerId), peers.map(p => p.peerId), 'the peers polled after the refusal are shown')
  t.false(ended, 'the feed goes on')
})

/** A non-terminal stdout that keeps what is written, and fails every write after `fullAfter` with EPIPE (a reader that went away). */
function pipe (fullAfter = Infinity): { stdout: NodeJS.WriteStream, text: () => string } {
  let text = ''
  let writes = 0
  const stdout = new Writable({
    write (chunk, _enc, done) {
      if (++writes > fullAfter) return done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
      text += String(chunk)
      done()
    }
  })
  return { stdout: Object.assign(stdout, { isTTY: false }) as unknown as NodeJS.WriteStream, text: () => text }
}

const stdin = Object.assign(new Writable(), { isTTY: false }) as unknown as NodeJS.ReadStream

test('plain mode: a reader that goes away (EPIPE) ends it quietly', async t => {
  const api = await startFakeApi()
  t.teardown(async () => { await api.stop() })
  const out = pipe(1)
  await t.notThrowsAsync(runTop({ client: api.client, stdout: out.stdout, stdin, intervalMs: 5, signal: new AbortController().signal }))
  t.regex(out.text(), /^== gmesh top /)
})

test('plain mode: a node that does not answer gets a line, and the tables go on when it answers again', async t => {
  let reads = 0
  // 1 read of the newest event id, then 5 per table (4 snapshot reads and the events page): the second table's reads stall
  const { httpUrl } = await scriptedNode(t, path => ++reads > 6 && reads <= 11 ? 'stall' : answers(() => [])(path))
  // long enough for an answer on a loaded machine (100 ms was not, once): only the stalled reads time out
  const client = new NodeClient({ httpUrl, token: 'tok' }, { retries: 0, timeoutMs: 1000 })
  const out = pipe()
  await runTop({ client, stdout: out.stdout, stdin, intervalMs: 10, count: 3, signal: new AbortController().signal })
  const lines = out.text().split('\n').filter(line => line.startsWith('== gmesh top'))
  t.is(lines.length, 3, out.text())
  t.regex(lines[0] ?? '', /node self/)
  t.regex(lines[1] ?? '', /did not answer/)
  t.regex(lines[2] ?? '', /node self/)
})

test('plain mode: a run that printed no table, every read having failed, ends in an error; one table is enough', async t => {
  const { httpUrl } = await scriptedNode(t, () => [503, { error: 'node is stopping' }])
  const out = pipe()
  const client = new NodeClient({ httpUrl, token: 'tok' }, { retries: 0 })
  const err = await t.throwsAsync(runTop({ client, stdout: out.stdout, stdin, intervalMs: 5, count: 2, signal: new AbortController().signal }), { instanceOf: NoTableError })
  t.regex(err?.message ?? '', /^no table printed: the node did not answer \(last: .*node is stopping/)
  t.is(out.text().match(/^== gmesh top .*node is stopping/gm)?.length, 2, 'each failed read still gets its line')

  let reads = 0
  // the newest event id, then the first table's 5 reads answer; every later read fails
  const { httpUrl: onceUrl } = await scriptedNode(t, path => ++reads <= 6 ? answers(() => [])(path) : [503, { error: 'node is stopping' }])
  await t.notThrowsAsync(runTop({ client: new NodeClient({ httpUrl: onceUrl, token: 'tok' }, { retries: 0 }), stdout: pipe().stdout, stdin, intervalMs: 5, count: 3, signal: new AbortController().signal }))
})

test('plain mode: every event since the last table is printed, past the API page size, and lost ones are said', async t => {
  const api = await startFakeApi()
  t.teardown(async () => { await api.stop() })
  const out = pipe()
  const stdout = out.stdout
  const write = stdout.write.bind(stdout)
  let tables = 0
  stdout.write = ((chunk: string) => {
    // after the first table, more events than the node's buffer of 1,000 holds
    if (++tables === 1) for (let i = 0; i < 1200; i++) api.events.emit({ type: 'cache-put', key: String(i).padStart(4, '0').padEnd(64, 'a'), bytes: 1 })
    return write(chunk)
  }) as typeof stdout.write
  await runTop({ client: api.client, stdout, stdin, intervalMs: 5, count: 2, signal: new AbortController().signal })
  const second = out.text().split('== gmesh top').at(-1) ?? ''
  t.is(second.match(/cache put/g)?.length, 1000)
  t.regex(second, /earlier events were lost/)
  t.regex(second, /cache put +0200aaaaaaaa[^]*cache put +1199aaaaaaaa/, 'the 1,000 newest, oldest first')
  t.notRegex(second, /0199aaaaaaaa/)
})

test('a node restarted at another address is followed: after a failed poll the feed asks where it is now, then polls and streams from there', async t => {
  const before = await startFakeApi({ peers: fakePeers(1) })
  const after = await startFakeApi({ peers: fakePeers(3) })
  t.teardown(async () => { await before.stop(); await after.stop() })
  let named = before.client // what the data dir's node.json names
  let asked = 0
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(before.client, store, { signal: stop.signal, pollMs: 20, reconnect: async () => { asked++; return named } })
  t.teardown(async () => { stop.abort(); await feed })
  await until(store, () => store.snapshot.peers.length === 1 && store.snapshot.connected)
  t.is(asked, 0, 'a node that answers is not looked for')
  named = after.client
  await before.stop()
  await until(store, () => store.snapshot.peers.length === 3 && store.snapshot.connected)
  after.events.emit({ type: 'peer-up', peer: '12D3KooWrestarted0001' })
  await until(store, () => store.snapshot.events.some(e => e.type === 'peer-up' && e.peer === '12D3KooWrestarted0001'))
  t.pass()
})

test('a data dir with no node running says so in place of the failed read', async t => {
  const api = await startFakeApi()
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(api.client, store, { signal: stop.signal, pollMs: 20, reconnect: async () => { throw new Error('no gmesh node is running at /tmp/x') } })
  t.teardown(async () => { stop.abort(); await feed })
  await until(store, () => store.snapshot.connected)
  await api.stop()
  await until(store, () => store.snapshot.error === 'no gmesh node is running at /tmp/x')
  t.false(store.snapshot.connected)
})

test('a young node (fewer events than the log shows) is not said to have restarted, and its events are shown once each', async t => {
  // a real node numbers its events from the clock: ids before its first one are those of an earlier run
  const api = await startFakeApi({ peers: fakePeers(1) }, { firstEventId: firstIdFromClock() })
  t.teardown(async () => { await api.stop() })
  for (const n of [1, 2, 3]) api.events.emit({ type: 'peer-up', peer: `12D3KooWyoungnode000${n}` })
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(api.client, store, { signal: stop.signal, pollMs: 20 })
  t.teardown(async () => { stop.abort(); await feed })
  await until(store, () => store.snapshot.events.length >= 3 && store.snapshot.connected)
  api.events.emit({ type: 'peer-up', peer: '12D3KooWyoungnode0004' })
  await until(store, () => store.snapshot.events.some(e => e.type === 'peer-up' && e.peer === '12D3KooWyoungnode0004'))
  t.is(store.snapshot.nodeRestarts, 0)
  t.is(store.snapshot.missedEvents, 0)
  t.deepEqual(store.snapshot.events.map(e => e.type === 'peer-up' ? e.peer.slice(-1) : e.type), ['1', '2', '3', '4'])
})

test('a first read of the events that fails starts the log from now on, not with the node\'s whole buffer called lost', async t => {
  const api = await startFakeApi({ peers: fakePeers(1) }, { firstEventId: firstIdFromClock(), failedEventPages: 1 })
  t.teardown(async () => { await api.stop() })
  for (let n = 0; n < 1500; n++) api.events.emit({ type: 'peer-up', peer: `12D3KooWbusynode${String(n).padStart(8, '0')}` })
  const streaming = new Promise<void>(resolve => { // the event stream subscribes to the bus
    const subscribe = api.events.subscribe.bind(api.events)
    api.events.subscribe = listener => { resolve(); return subscribe(listener) }
  })
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(api.client, store, { signal: stop.signal, pollMs: 20 })
  t.teardown(async () => { stop.abort(); await feed })
  await streaming
  api.events.emit({ type: 'peer-up', peer: '12D3KooWafterthefailure' })
  await until(store, () => store.snapshot.events.some(e => e.type === 'peer-up' && e.peer === '12D3KooWafterthefailure'))
  t.is(store.snapshot.missedEvents, 0, 'nothing was missed: the feed was never connected before')
  t.deepEqual(store.snapshot.events.map(e => e.type === 'peer-up' ? e.peer : e.type), ['12D3KooWafterthefailure'])
})
