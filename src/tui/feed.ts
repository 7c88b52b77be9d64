import { setTimeout as sleep } from 'node:timers/promises'
import type { NodeClient } from '../client/node-client.js'
import type { Snapshot, TuiStore } from './store.js'

export interface FeedOptions {
  signal: AbortSignal
  /** How often the full state is read (default 2 s); events arrive in between as they happen. */
  pollMs?: number
  /**
   * A client of the node as its data dir names it now (node.json and the token read again). Asked
   * after a failed poll: a node restarted with `--http 127.0.0.1:0` answers on another port.
   */
  reconnect?: () => Promise<NodeClient>
}

/** Reads node, peers, cache and jobs at once. */
export async function readSnapshot (client: NodeClient, signal?: AbortSignal): Promise<Snapshot> {
  const [node, peers, cache, jobs] = await Promise.all([client.node(signal), client.peers(signal), client.cache(signal), client.jobs(signal)])
  return { node, peers, cache, jobs }
}

/** Whether `next` is another node than `current`'s: another address, or another process at the same one. */
export function isMoved (current: NodeClient, next: NodeClient): boolean {
  return next.info.httpUrl !== current.info.httpUrl || next.info.pid !== current.info.pid
}

/** The client the feed reads through, replaced when the node turns up elsewhere. */
class Link {
  private moved = new AbortController()

  constructor (public client: NodeClient, private readonly reconnect?: () => Promise<NodeClient>) {}

  /** Aborts when the client is replaced: the event stream then follows the new one. */
  get movedSignal (): AbortSignal { return this.moved.signal }

  /** Asks where the node is now; true when it moved and the client was replaced. Throws what the data dir says (no node running). */
  async follow (): Promise<boolean> {
    if (this.reconnect == null) return false
    const next = await this.reconnect()
    if (!isMoved(this.client, next)) return false
    this.client = next
    this.moved.abort()
    this.moved = new AbortController()
    return true
  }
}

/**
 * Feeds a store from a node until `signal` aborts: a snapshot every `pollMs` and the event stream
 * in between (which reconnects by itself). Failures mark the store disconnected, never throw, and
 * never stop the feed: a node that comes back, at its address or (with `reconnect`) another, is shown again.
 */
export async function runFeed (client: NodeClient, store: TuiStore, options: FeedOptions): Promise<void> {
  const { signal } = options
  const pollMs = options.pollMs ?? 2000
  const link = new Link(client, options.reconnect)
  await poll(link, store, signal)
  const polling = pollUntilAborted(link, store, signal, pollMs)
  await followEvents(link, store, signal, pollMs)
  await polling
}

async function poll (link: Link, store: TuiStore, signal: AbortSignal): Promise<void> {
  let failure: unknown
  try {
    const snapshot = await readSnapshot(link.client, signal)
    if (!signal.aborted) store.applySnapshot(snapshot)
    return
  } catch (err) {
    failure = err
  }
  if (signal.aborted) return
  try {
    if (await link.follow()) return await poll(link, store, signal)
  } catch (err) {
    failure = err // "no node is running at DIR" says more than "did not answer"
  }
  if (!signal.aborted) store.setConnection(false, (failure as Error).message)
}

/** One poll at a time, the next `pollMs` after the last one settled: a slow node never piles up requests, nor old answers over new ones. */
async function pollUntilAborted (link: Link, store: TuiStore, signal: AbortSignal, pollMs: number): Promise<void> {
  while (!signal.aborted) {
    await sleep(pollMs, undefined, { signal }).catch(() => {})
    if (!signal.aborted) await poll(link, store, signal)
  }
}

/** How many of a node's latest events the log shows when the feed first reaches it. */
const LATEST_EVENTS = 50

/**
 * The latest events of a node the feed has just reached, those newer than the store's added (event ids grow from the
 * clock across a node's restarts, so a node that moved never adds an event twice); resolves the id to stream on from,
 * or undefined when the page could not be read.
 * It asks for the newest page rather than resuming some ids back: ids before a young node's first event are those of
 * an earlier run, and the node would say it restarted.
 */
async function catchUp (client: NodeClient, store: TuiStore, signal: AbortSignal): Promise<number | undefined> {
  const page = await client.events(undefined, signal).catch(() => undefined)
  if (page === undefined) return undefined // stream what comes from now on: after 0 would replay the node's whole buffer and call the rest lost
  const seen = store.snapshot.events.at(-1)?.id ?? 0
  for (const event of page.events.slice(-LATEST_EVENTS)) if (event.id > seen) store.applyEvent(event)
  return page.next
}

/**
 * The event stream, from just after what the store has; when the node refuses it (4xx), asked again
 * every `retryMs`; when the node moved, at once from the new one (whose event ids start anew).
 */
async function followEvents (link: Link, store: TuiStore, signal: AbortSignal, retryMs: number): Promise<void> {
  let streamed: NodeClient | undefined
  while (!signal.aborted) {
    const client = link.client
    const stream = AbortSignal.any([signal, link.movedSignal])
    try {
      const lastId = client === streamed ? store.snapshot.events.at(-1)?.id : undefined
      streamed = client
      const after = lastId ?? await catchUp(client, store, stream)
      for await (const event of client.subscribe({
        signal: stream, after,
        onDisconnect: err => { store.setConnection(false, `event stream: ${(err as Error).message}`) },
        onConnect: () => { store.setConnection(true) },
        onGap: missed => { store.applyGap(missed) },
        onRestart: () => { store.noteRestart() }
      })) store.applyEvent(event)
    } catch (err) {
      if (!stream.aborted) store.setConnection(false, `event stream: ${(err as Error).message}`)
    }
    if (link.client === client) await sleep(retryMs, undefined, { signal: stream }).catch(() => {})
  }
}
