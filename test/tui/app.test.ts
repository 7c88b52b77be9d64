import test from 'ava'
import { createElement } from 'react'
import { render } from 'ink-testing-library'
import stringWidth from 'string-width'
import { App } from '../../src/tui/components/app.js'
import { runFeed } from '../../src/tui/feed.js'
import { DEFAULT_BATCH_MS, TuiStore } from '../../src/tui/store.js'
import type { CacheInfo, NodeInfo } from '../../src/client/api-types.js'
import { fakeJob, fakePeers, startFakeApi, type FakeApi } from './fake-api.js'
import { KEYS, resize, untilFrame } from './frames.js'

/** The dashboard fed from a fake node; everything is stopped when the test ends. */
async function dashboard (t: { teardown: (fn: () => Promise<void>) => void }, api: FakeApi, onQuit?: () => void): Promise<{ instance: ReturnType<typeof render>, store: TuiStore }> {
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(api.client, store, { signal: stop.signal, pollMs: 100 })
  const instance = render(createElement(App, { store, ...(onQuit == null ? {} : { onQuit }) }))
  t.teardown(async () => {
    stop.abort()
    await feed
    instance.unmount()
    await api.stop()
  })
  return { instance, store }
}

test('zero peers and no jobs: the header and each view say so; tab moves between views', async t => {
  const api = await startFakeApi()
  const { instance } = await dashboard(t, api)
  const first = await untilFrame(instance, f => f.includes('· connected') && f.includes('no live peers'))
  t.regex(first, /gmesh top node …nodeSELF0001 v0\.0\.0-fake · 0 peers · 0 jobs · connected/)
  instance.stdin.write(KEYS.tab)
  t.regex(await untilFrame(instance, f => f.includes('no jobs')), /no jobs \(distributed builds start with gmesh build\)/)
  instance.stdin.write(KEYS.tab)
  t.regex(await untilFrame(instance, f => f.includes('entries')), /hit rate +- \(0 hits/)
  instance.stdin.write('4')
  t.truthy(await untilFrame(instance, f => f.includes('no events yet')))
  instance.stdin.write(KEYS.tab)
  t.truthy(await untilFrame(instance, f => f.includes('no live peers')))
})

test('200 peers scroll with the arrow keys and fit the terminal after a resize', async t => {
  const api = await startFakeApi({ peers: fakePeers(200) })
  const { instance } = await dashboard(t, api)
  const frame = await untilFrame(instance, f => f.includes('of 200'))
  t.regex(frame, /200 peers/)
  instance.stdin.write(KEYS.down)
  instance.stdin.write(KEYS.down)
  t.regex(await untilFrame(instance, f => /peers 3-/.test(f)), /…kepeer00002/)
  resize(instance, 120, 15)
  const small = await untilFrame(instance, f => /peers 3-11 of 200/.test(f))
  t.true(small.split('\n').length <= 15)
  resize(instance, 120, 40)
  t.truthy(await untilFrame(instance, f => /peers 3-36 of 200/.test(f)))
})

test('scrolling down past the last peer stops there, so the first ↑ scrolls back at once', async t => {
  const api = await startFakeApi({ peers: fakePeers(40) })
  const { instance } = await dashboard(t, api)
  await untilFrame(instance, f => f.includes('of 40'))
  resize(instance, 120, 15) // 9 peer rows: the last offset shows peers 32-40
  await untilFrame(instance, f => f.includes('peers 1-9 of 40'))
  for (let i = 0; i < 45; i++) instance.stdin.write(KEYS.down)
  await untilFrame(instance, f => f.includes('peers 32-40 of 40'))
  instance.stdin.write(KEYS.up)
  t.truthy(await untilFrame(instance, f => f.includes('peers 31-39 of 40')))
})

test('a job failing shows in the jobs view as the node reports it, and its event in the log', async t => {
  const nodes = ['12D3KooWleaderAAAA', '12D3KooWworkerBBBB']
  const api = await startFakeApi({ jobs: [fakeJob('job-1', 4, nodes)] })
  const { instance } = await dashboard(t, api)
  instance.stdin.write('2')
  t.regex(await untilFrame(instance, f => f.includes('job-1 running')), /leader …aderAAAA/)
  api.state.jobs = [{ ...fakeJob('job-1', 4, nodes, 'failed'), error: 'unit :lib:test failed twice' }]
  api.events.emit({ type: 'job', jobId: 'job-1', state: 'failed' })
  t.regex(await untilFrame(instance, f => f.includes('unit :lib:test failed twice')), /job-1 failed/)
  instance.stdin.write('4')
  t.truthy(await untilFrame(instance, f => /job +job-1 failed/.test(f)))
})

test('events stream in live: peers coming and going change the peer list before the next poll', async t => {
  const api = await startFakeApi()
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(api.client, store, { signal: stop.signal, pollMs: 60_000 })
  const instance = render(createElement(App, { store, initialView: 'events' }))
  t.teardown(async () => { stop.abort(); await feed; instance.unmount(); await api.stop() })
  await untilFrame(instance, f => f.includes('· connected'))
  api.events.emit({ type: 'peer-up', peer: '12D3KooWnewcomer0001' })
  t.truthy(await untilFrame(instance, f => /peer up +…omer0001/.test(f) && f.includes('1 peers')))
  api.events.emit({ type: 'peer-down', peer: '12D3KooWnewcomer0001' })
  t.truthy(await untilFrame(instance, f => /peer down +…omer0001/.test(f) && f.includes('0 peers')))
})

test('q quits: the app exits and tells its owner', async t => {
  const api = await startFakeApi()
  let quits = 0
  let quitted!: () => void
  const quit = new Promise<void>(resolve => { quitted = resolve })
  const { instance } = await dashboard(t, api, () => { quits++; quitted() })
  await untilFrame(instance, f => f.includes('· connected'))
  instance.stdin.write('x')
  instance.stdin.write('q')
  await quit
  t.is(quits, 1)
})

const NODE: NodeInfo = { peerId: '12D3KooWfakenodeSELF0001', multiaddrs: [], httpUrl: '', cacheUrl: '', pid: 1, version: '0.0.0-fake', startedAt: '', dataDir: '/d', uptimeMs: 1, rssBytes: 1 }
const CACHE: CacheInfo = { store: { entries: 0, bytes: 0, maxBytes: 1, hits: 0, misses: 0 }, http: { gets: 0, hits: 0, misses: 0, puts: 0, stored: 0 } }

/** The dashboard over a store the test fills itself (no node). */
function dashboardOf (t: { teardown: (fn: () => void) => void }, store: TuiStore): ReturnType<typeof render> {
  const instance = render(createElement(App, { store }))
  t.teardown(() => { instance.unmount() })
  return instance
}

/** Whether every line of `frame` fits `columns` and the frame is shorter than `rows` (ink redraws the whole screen otherwise). */
function fits (frame: string, columns: number, rows: number): boolean {
  const lines = frame.split('\n')
  return lines.length < rows && lines.every(line => stringWidth(line) <= columns)
}

test('a long disconnection reason on a narrow terminal: "disconnected" in the header, the reason cut on a line below, the frame fits', async t => {
  const store = new TuiStore({ batchMs: 0 })
  store.applySnapshot({ node: NODE, peers: fakePeers(200), jobs: [], cache: CACHE })
  store.setConnection(false, 'the node at http://127.0.0.1:50713 did not answer (connect ECONNREFUSED 127.0.0.1:50713): is it running? see gmesh status')
  const instance = dashboardOf(t, store)
  const wide = await untilFrame(instance, f => f.includes('disconnected'))
  t.regex(wide, /· disconnected\n +the node at http:\/\/127\.0\.0\.1:50713 did not answer/)
  resize(instance, 30, 24)
  const frame = await untilFrame(instance, f => fits(f, 30, 24))
  t.regex(frame, /^gmesh top node …/)
  t.regex(frame, /peers \d+-\d+ of 200/, 'the view\'s last line is still on screen')
})

test('before the first poll the header says it is connecting, not that it is disconnected', t => {
  const instance = dashboardOf(t, new TuiStore({ batchMs: 0 }))
  const header = instance.lastFrame()!.split('\n')[0]
  t.is(header, 'gmesh top · connecting…')
})

test('keys that arrive in one read all count: two tabs move two views, the last digit wins, q anywhere quits', async t => {
  const api = await startFakeApi()
  let quits = 0
  let quitted!: () => void
  const quit = new Promise<void>(resolve => { quitted = resolve })
  const { instance } = await dashboard(t, api, () => { quits++; quitted() })
  await untilFrame(instance, f => f.includes('no live peers'))
  instance.stdin.write('\t\t')
  t.truthy(await untilFrame(instance, f => f.includes('entries')), 'peers → jobs → cache')
  instance.stdin.write('42')
  t.truthy(await untilFrame(instance, f => f.includes('no jobs')))
  instance.stdin.write('xqq')
  await quit
  t.is(quits, 1)
})

test.serial('with the default pacing, an event right after a drawn one, and the one after it, are told within the window and drawn in one frame', async t => {
  const store = new TuiStore() // DEFAULT_BATCH_MS: the pacing gmesh top runs with
  const instance = dashboardOf(t, store)
  instance.stdin.write('4')
  await untilFrame(instance, f => f.includes('no events yet'))
  const put = (id: number, key: string): void => { store.applyEvent({ id, time: 0, type: 'cache-put', key: key.repeat(64), bytes: 1 }) }
  put(1, 'a')
  await untilFrame(instance, f => f.includes('aaaaaaaaaaaa'))
  // drawn just now, so the next event waits for the pacer (and the one after rides with it)
  const started = performance.now()
  // how late this process's timers run on a loaded machine: a timer of the pacer's window, set just before it
  const timerLate = new Promise<number>(resolve => { setTimeout(() => { resolve(performance.now() - started - DEFAULT_BATCH_MS) }, DEFAULT_BATCH_MS) })
  const told: number[] = []
  const off = store.subscribe(() => { told.push(performance.now() - started) })
  put(2, 'b')
  put(3, 'c')
  const frame = await untilFrame(instance, f => f.includes('bbbbbbbbbbbb'))
  const drawn = performance.now() - started
  off()
  const late = Math.max(0, await timerLate)
  t.regex(frame, /cccccccccccc/, 'both events in one frame')
  t.is(told.length, 1, 'one telling for both')
  t.true(told[0]! - late <= DEFAULT_BATCH_MS + 10, `told ${told[0]!.toFixed(0)} ms after the event, the machine's timers ${late.toFixed(0)} ms late`)
  t.log(`drawn ${drawn.toFixed(0)} ms after the event (goal 100 ms; bench/tui measures it)`)
})
