import { render, type Instance } from 'ink'
import type { NodeClient } from '../client/node-client.js'
import { App, type ViewName } from './components/app.js'
import { readSnapshot, runFeed } from './feed.js'
import { formatPlain } from './plain.js'
import { TuiStore } from './store.js'

export interface TopOptions {
  client: NodeClient
  stdout: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
  /** Poll interval of the full state; the plain table is printed this often (default 2 s). */
  intervalMs?: number
  /** Plain mode: print this many tables, then return (default: until `signal`). */
  count?: number
  signal: AbortSignal
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
  const feed = runFeed(options.client, store, { signal, pollMs: options.intervalMs ?? 2000 })
  const app = renderTop(store, options, () => { stop.abort() })
  signal.addEventListener('abort', () => { app.unmount() }, { once: true })
  await app.waitUntilExit()
  stop.abort()
  await feed
}

async function runPlain (options: TopOptions): Promise<void> {
  const { client, signal } = options
  let after = (await client.events(0, signal)).lastId
  for (let printed = 0; options.count == null || printed < options.count; printed++) {
    if (printed > 0) await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, options.intervalMs ?? 2000)
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
    if (signal.aborted) return
    const [snapshot, page] = await Promise.all([readSnapshot(client, signal), client.events(after, signal)])
    after = page.next
    options.stdout.write(formatPlain(snapshot, page.events))
  }
}
