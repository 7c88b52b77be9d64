import { setTimeout as sleep } from 'node:timers/promises'
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
 * in between (which reconnects by itself). Failures mark the store disconnected, never throw, and
 * never stop the feed: a node that comes back is shown again.
 */
export async function runFeed (client: NodeClient, store: TuiStore, options: FeedOptions): Promise<void> {
  const { signal } = options
  const pollMs = options.pollMs ?? 2000
  await poll(client, store, signal)
  const polling = pollUntilAborted(client, store, signal, pollMs)
  await followEvents(client, store, signal, pollMs)
  await polling
}

async function poll (client: NodeClient, store: TuiStore, signal: AbortSignal): Promise<void> {
  try {
    const snapshot = await readSnapshot(client, signal)
    if (!signal.aborted) store.applySnapshot(snapshot)
  } catch (err) {
    if (!signal.aborted) store.setConnection(false, (err as Error).message)
  }
}

/** One poll at a time, the next `pollMs` after the last one settled: a slow node never piles up requests, nor old answers over new ones. */
async function pollUntilAborted (client: NodeClient, store: TuiStore, signal: AbortSignal, pollMs: number): Promise<void> {
  while (!signal.aborted) {
    await sleep(pollMs, undefined, { signal }).catch(() => {})
    if (!signal.aborted) await poll(client, store, signal)
  }
}

/** The event stream, from just after what the store has; when the node refuses it (4xx), asked again every `retryMs`. */
async function followEvents (client: NodeClient, store: TuiStore, signal: AbortSignal, retryMs: number): Promise<void> {
  while (!signal.aborted) {
    try {
      const lastId = store.snapshot.events.at(-1)?.id
      const after = lastId ?? Math.max(0, (await client.events(0, signal).catch(() => ({ lastId: 0 }))).lastId - 50)
      for await (const event of client.subscribe({
        signal, after,
        onDisconnect: err => { store.setConnection(false, `event stream: ${(err as Error).message}`) },
        onConnect: () => { store.setConnection(true) },
        onGap: missed => { store.applyGap(missed) }
      })) store.applyEvent(event)
    } catch (err) {
      if (!signal.aborted) store.setConnection(false, `event stream: ${(err as Error).message}`)
    }
    await sleep(retryMs, undefined, { signal }).catch(() => {})
  }
}
