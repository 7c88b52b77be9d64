import { render, type Instance } from 'ink'
import { setTimeout as sleep } from 'node:timers/promises'
import type { NodeClient, NodeEvent } from '../client/node-client.js'
import { App, type ViewName } from './components/app.js'
import { isMoved, readSnapshot, runFeed } from './feed.js'
import { formatPlain } from './plain.js'
import { TuiStore } from './store.js'

export interface TopOptions {
  client: NodeClient
  stdout: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
  /** Poll interval of the full state; the plain table is printed this often (default 2 s). */
  intervalMs?: number
  /** A client of the node as its data dir names it now: after a failed read, a node restarted at another address is followed. */
  reconnect?: () => Promise<NodeClient>
  /** Plain mode: print this many tables, then return (default: until `signal`). */
  count?: number
  signal: AbortSignal
}

/** Plain mode ended without a single table: every read of the node failed. */
export class NoTableError extends Error {
  static readonly code = 'ERR_NO_TABLE'
  override name = 'NoTableError'
}

/** `gmesh top`: the ink dashboard on a terminal, a plain periodic table otherwise. */
export async function runTop (options: TopOptions): Promise<void> {
  if (options.stdout.isTTY === true && options.stdin.isTTY === true) await runInteractive(options)
  else await runPlain(options)
}

/** Ink's own frame cap; the store's 80 ms window is what limits redraws (an event is on screen within about 80 ms). */
export const TOP_MAX_FPS = 60

/** Renders the dashboard of `store` on a terminal. */
export function renderTop (store: TuiStore, io: { stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream }, onQuit?: () => void, initialView?: ViewName): Instance {
  return render(<App store={store} {...(onQuit == null ? {} : { onQuit })} {...(initialView == null ? {} : { initialView })} />, {
    stdout: io.stdout, stdin: io.stdin, exitOnCtrlC: false, patchConsole: false, maxFps: TOP_MAX_FPS, incrementalRendering: true
  })
}

async function runInteractive (options: TopOptions): Promise<void> {
  const store = new TuiStore()
  const stop = new AbortController()
  const signal = AbortSignal.any([stop.signal, options.signal])
  const feed = runFeed(options.client, store, { signal, pollMs: options.intervalMs ?? 2000, ...(options.reconnect == null ? {} : { reconnect: options.reconnect }) })
  const app = renderTop(store, options, () => { stop.abort() })
  signal.addEventListener('abort', () => { app.unmount() }, { once: true })
  await app.waitUntilExit()
  stop.abort()
  await feed
}

/**
 * Prints a table every interval until `signal` (or `count` tables). A node that does not answer gets a
 * line saying so, and the next table follows when it answers again; a reader that goes away (EPIPE) ends it.
 * Throws {@link NoTableError} when it ends having printed only such lines, so a script sees the failure.
 */
async function runPlain (options: TopOptions): Promise<void> {
  let tables = 0
  let lastError: string | undefined
  await printTables(options, {
    printed: () => { tables++ },
    failed: message => { lastError = message }
  })
  if (tables === 0 && lastError !== undefined) {
    throw new NoTableError(`no table printed: the node did not answer (last: ${lastError})`)
  }
}

async function printTables (options: TopOptions, outcome: { printed: () => void, failed: (message: string) => void }): Promise<void> {
  let client = options.client
  const stop = new AbortController()
  const signal = AbortSignal.any([stop.signal, options.signal])
  const onOutputError = (): void => { stop.abort() } // EPIPE: nobody reads any more
  options.stdout.on('error', onOutputError)
  try {
    // undefined when the node did not say where its events stand: the first table then shows what it buffers
    let after = await client.events(0, signal).then(page => page.lastId, () => undefined)
    for (let printed = 0; options.count == null || printed < options.count; printed++) {
      if (printed > 0) await sleep(options.intervalMs ?? 2000, undefined, { signal }).catch(() => {})
      if (signal.aborted) return
      try {
        const [snapshot, events] = await Promise.all([readSnapshot(client, signal), readEventsAfter(client, after, signal)])
        after = events.next
        options.stdout.write(formatPlain(snapshot, events.events, new Date(), events.lost))
        outcome.printed()
      } catch (err) {
        if (signal.aborted) return
        outcome.failed((err as Error).message)
        const moved = await movedClient(client, options.reconnect)
        if (moved != null) {
          client = moved
          after = undefined // the new node's event ids start anew
        }
        options.stdout.write(`== gmesh top ${new Date().toISOString()}: ${(err as Error).message}${moved == null ? '' : `; the node is now at ${moved.info.httpUrl}`}\n`)
      }
    }
  } finally {
    options.stdout.off('error', onOutputError)
  }
}

/** A client of the node where its data dir now says it is, if that is another node than `client`'s. */
async function movedClient (client: NodeClient, reconnect: TopOptions['reconnect']): Promise<NodeClient | undefined> {
  const next = await reconnect?.().catch(() => undefined)
  return next != null && isMoved(client, next) ? next : undefined
}

/** Every buffered event after `after`, page by page; `lost` when the node no longer held the first ones (or restarted). */
async function readEventsAfter (client: NodeClient, after: number | undefined, signal: AbortSignal): Promise<{ events: NodeEvent[], next: number, lost: boolean }> {
  const events: NodeEvent[] = []
  let next = after ?? 0
  for (let pages = 0; pages < 100; pages++) {
    const page = await client.events(next, signal)
    events.push(...page.events)
    const done = page.next === next || page.next >= page.lastId
    next = page.next
    if (done) break
  }
  const first = events[0]
  return { events, next, lost: after !== undefined && first !== undefined && first.id > after + 1 }
}
