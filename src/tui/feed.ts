import type { NodeClient } from '../client/node-client.js'
import type { Snapshot, TuiStore } from './store.js'

export interface FeedOptions {
  signal: AbortSignal
  /** How often the full state is read (default 2 s); events arrive in between as they happen. */
  pollMs?: number
}

/** Reads node, peers, cache and jobs at once. */
export async function readSnapshot (client: NodeClient, signal?: AbortSignal): Promise<Snapshot> {
  const [node, peers, cache, jobs] = await Promise.all([client.node(signal), client.peers(signal), client.cache(signal), client.jobs(signal)])
  return { node, peers, cache, jobs }
}

/**
 * Feeds a store from a node until `signal` aborts: a snapshot every `pollMs` and the event stream
 * in between (which reconnects by itself). Failures mark the store disconnected, never throw.
 */
export async function runFeed (client: NodeClient, store: TuiStore, options: FeedOptions): Promise<void> {
  const { signal } = options
  const poll = async (): Promise<void> => {
    try {
      store.applySnapshot(await readSnapshot(client, signal))
    } catch (err) {
      if (!signal.aborted) store.setConnection(false, (err as Error).message)
    }
  }
  await poll()
  const timer = setInterval(() => { void poll() }, options.pollMs ?? 2000)
  signal.addEventListener('abort', () => { clearInterval(timer) }, { once: true })
  const lastId = store.snapshot.events.at(-1)?.id
  try {
    const after = lastId ?? Math.max(0, (await client.events(0, signal).catch(() => ({ lastId: 0 }))).lastId - 50)
    for await (const event of client.subscribe({
      signal, after,
      onDisconnect: err => { store.setConnection(false, `event stream: ${(err as Error).message}`) },
      onConnect: () => { store.setConnection(true) }
    })) store.applyEvent(event)
  } catch (err) {
    if (!signal.aborted) store.setConnection(false, (err as Error).message)
  } finally {
    clearInterval(timer)
  }
}
