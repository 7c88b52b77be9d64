// gmesh top under load: 200 peers and a 1,000-unit job, events streaming in. The fake node (the real
// control API and SSE code over fake data) runs in a worker thread, so this thread's CPU time is the
// TUI's alone: SSE client, store, React and ink rendering into a 120x40 terminal. Each view's reference is bare
// ink (bench/lib/ink-floor.tsx) redrawing a frame of that size as often as the view did.
// Runnable alone: node dist/bench/tui.js [--quick]
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import type { ViewName } from '../src/tui/components/app.js'
import { runFeed } from '../src/tui/feed.js'
import { DEFAULT_BATCH_MS, TuiStore } from '../src/tui/store.js'
import { NodeClient } from '../src/client/node-client.js'
import type { NodeEventBody } from '../src/client/api-types.js'
import { fakeJob, fakePeers, startFakeApi } from '../test/tui/fake-api.js'
import { fakeTerminal } from './lib/fake-terminal.js'
import { percentile } from './lib/load.js'
import { processes } from './lib/processes.js'
import { fmtMs, renderTable, type ResultRow } from './lib/table.js'

const PEERS = 200
const UNITS = 1000
const COLUMNS = 120
const ROWS = 40

/** Worker side: the fake node; emits what the main thread asks for. */
async function serveFakeNode (): Promise<void> {
  const peers = fakePeers(PEERS)
  const api = await startFakeApi({ peers, jobs: [fakeJob('job-1', UNITS, peers.slice(0, 50).map(p => p.peerId))] })
  // 20 events a second, each stamped (wall clock, shared with the main thread) when emitted.
  const emitted: number[] = []
  let from = 0
  let timer: NodeJS.Timeout | undefined
  parentPort!.on('message', (message: { start?: true, report?: true, stop?: true }) => {
    if (message.start === true) {
      from = emitted.length
      timer = setInterval(() => {
        const seq = emitted.length
        emitted.push(performance.timeOrigin + performance.now())
        const event: NodeEventBody = { type: 'cache-get', key: `${String(seq).padStart(6, '0')}feedbeef`.padEnd(64, '0'), source: 'peer', bytes: 1000, ms: 3 }
        api.events.emit(event)
      }, 50)
    }
    if (message.report === true) {
      clearInterval(timer)
      parentPort!.postMessage({ emitted: emitted.slice(from), from })
    }
    if (message.stop === true) void api.stop().then(() => { parentPort!.close() })
  })
  parentPort!.postMessage({ httpUrl: api.client.info.httpUrl, token: 'f'.repeat(64) })
}

interface Measured { cpuPercent: number, redrawP50: number, redrawP95: number, redrawMax: number, frames: number, shown: number, emitted: number }

/** How long after the last event the screen may still show it before it counts as never shown. */
const SHOW_GRACE_MS = 500

/** The worker's next message; rejects if it exits first (stopped on SIGINT). */
async function reply<T> (worker: Worker): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const onExit = (): void => { reject(new Error('the fake node worker exited')) }
    worker.once('exit', onExit).once('message', (message: T) => { worker.off('exit', onExit); resolve(message) })
  })
}

async function measureView (worker: Worker, client: NodeClient, view: ViewName, seconds: number): Promise<Measured> {
  const store = new TuiStore()
  const stop = new AbortController()
  const feed = runFeed(client, store, { signal: stop.signal, pollMs: 2000 })
  const term = fakeTerminal(COLUMNS, ROWS)
  let frames = 0
  const shownAt = new Map<number, number>()
  term.onFrame(text => {
    frames++
    if (view !== 'events') return
    const now = performance.timeOrigin + performance.now()
    for (const match of text.matchAll(/(\d{6})feedbe/g)) {
      const seq = Number(match[1])
      if (!shownAt.has(seq)) shownAt.set(seq, now)
    }
  })
  const { renderTop } = await import('../src/tui/run-top.js')
  const app = renderTop(store, term, undefined, view)
  await new Promise<void>(resolve => { const off = store.subscribe(() => { if (store.snapshot.peers.length === PEERS) { off(); resolve() } }) })
  frames = 0 // the frames of loading the 200 peers are not part of the measured window
  const cpu0 = process.threadCpuUsage()
  const started = performance.now()
  worker.postMessage({ start: true })
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  const cpu = process.threadCpuUsage(cpu0)
  const wall = performance.now() - started
  const measuredFrames = frames
  worker.postMessage({ report: true })
  const { emitted, from } = await reply<{ emitted: number[], from: number }>(worker)
  await new Promise(resolve => setTimeout(resolve, SHOW_GRACE_MS))
  stop.abort()
  app.unmount()
  await feed
  // Only events emitted during this run (the feed also replays earlier ones when it connects); an event never
  // shown has no redraw time, so how many were shown is reported beside the percentiles.
  const redraws = emitted.flatMap((at, i) => shownAt.has(from + i) ? [shownAt.get(from + i)! - at] : []).sort((a, b) => a - b)
  return {
    cpuPercent: 100 * (cpu.user + cpu.system) / 1000 / wall,
    redrawP50: percentile(redraws, 50), redrawP95: percentile(redraws, 95), redrawMax: redraws.at(-1) ?? NaN,
    frames: measuredFrames, shown: redraws.length, emitted: emitted.length
  }
}

/** Bare ink at one view's frame rate: the view's CPU floor. */
interface Floor { everyMs: number, cpuPercent: number, frames: number }

/** A view's rows: its CPU beside bare ink at its frame rate, that floor's own row, and for the events view its redraw times. */
function viewRows (view: ViewName, m: Measured, floor: Floor, seconds: number): ResultRow[] {
  const rows: ResultRow[] = [
    { measure: `CPU, ${view} view, 20 events/s`, figure: `${m.cpuPercent.toFixed(1)}% of a core`, reference: `bare ink ${floor.cpuPercent.toFixed(1)}%`, ratio: m.cpuPercent / floor.cpuPercent, goal: '< 5%', met: m.cpuPercent < 5 },
    { measure: `bare ink: ${COLUMNS}x${ROWS} frame of scrolling lines every ${floor.everyMs} ms`, figure: `${floor.cpuPercent.toFixed(1)}% of a core`, reference: `${floor.frames} frames in ${seconds} s (${view} view ${m.frames})` }
  ]
  if (view !== 'events') return rows
  return [...rows,
    { measure: 'events shown on screen (the redraw times are theirs)', figure: `shown ${m.shown} of ${m.emitted} emitted`, reference: `within ${SHOW_GRACE_MS} ms of the last`, goal: 'all', met: m.emitted > 0 && m.shown === m.emitted },
    { measure: 'redraw after an event p50', figure: fmtMs(m.redrawP50), reference: `store window ${DEFAULT_BATCH_MS} ms`, goal: '< 100 ms', met: m.redrawP50 < 100 },
    { measure: 'redraw after an event p95 (max)', figure: `${fmtMs(m.redrawP95)} (${fmtMs(m.redrawMax)})`, reference: `store window ${DEFAULT_BATCH_MS} ms`, goal: '< 100 ms', met: m.redrawP95 < 100 }
  ]
}

export async function run (options: { quick?: boolean } = {}): Promise<void> {
  process.env.NODE_ENV ??= 'production' // as gmesh top runs React (set before React is first loaded)
  const seconds = options.quick === true ? 3 : 8
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'fake-node' } })
  const gone = new Promise(resolve => worker.once('exit', resolve))
  // on SIGINT run.ts stops the worker, and the measurement waiting on it fails and unwinds
  const removeCleanup = processes.addCleanup(async () => { await worker.terminate() })
  try {
    const endpoint = await new Promise<{ httpUrl: string, token: string }>((resolve, reject) => { worker.once('message', resolve).once('error', reject) })
    const client = new NodeClient(endpoint)
    const measured = new Map<ViewName, Measured>()
    for (const view of ['peers', 'jobs', 'events'] as const) measured.set(view, await measureView(worker, client, view, seconds))
    const { measureInkFloor } = await import('./lib/ink-floor.js')
    const { TOP_MAX_FPS } = await import('../src/tui/run-top.js')
    const rows: ResultRow[] = []
    for (const [view, m] of measured) {
      // bare ink draws as many frames as the view did (it draws when the store tells, at most once per window)
      const everyMs = Math.round(seconds * 1000 / Math.max(1, m.frames))
      const floor = { everyMs, ...await measureInkFloor({ columns: COLUMNS, rows: ROWS, everyMs, seconds, maxFps: TOP_MAX_FPS }) }
      rows.push(...viewRows(view, m, floor, seconds))
    }
    console.log(renderTable(`gmesh top with ${PEERS} peers and a ${UNITS}-unit job over 50 nodes (${seconds} s per view)`, 'gmesh top', 'reference', rows))
    console.log('notes: CPU is this thread\'s own time (process.threadCpuUsage): SSE client, store, React and ink; the fake node, which emits the events, runs in a worker. ' +
      `Redraw is timed from the event's emission on the node to the frame that shows it, through HTTP/SSE. Bare ink redraws a frame of the same size as often as ` +
      `each view did in its run (it draws when the store tells, within and at most once per ${DEFAULT_BATCH_MS} ms) and does nothing else: the floor of an ink dashboard here. ` +
      `Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores.`)
  } finally {
    removeCleanup()
    worker.postMessage({ stop: true })
    await gone
  }
}

if (!isMainThread && (workerData as { role?: string })?.role === 'fake-node') await serveFakeNode()
else if (process.argv[1] === fileURLToPath(import.meta.url)) await run({ quick: process.argv.includes('--quick') })
