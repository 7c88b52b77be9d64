import type { CacheInfo, JobInfo, NodeEvent, NodeInfo, PeerInfo } from '../client/api-types.js'
import { Pacer, type PacerClock } from './pacer.js'

/** One point of the cache history: totals at `time`, from which the cache view draws rates. */
export interface CacheSample { time: number, hits: number, misses: number, servedBytes: number, fetchedBytes: number }

/** Everything `gmesh top` shows; views read it, the feed writes it. */
export interface TuiState {
  node?: NodeInfo
  peers: PeerInfo[]
  jobs: JobInfo[]
  cache?: CacheInfo
  history: CacheSample[]
  events: NodeEvent[]
  /** Events the node reported lost to this store: its buffer moved on while the stream was down. */
  missedEvents: number
  /** Times the node restarted under the event stream: what its earlier run sent last may be missing. */
  nodeRestarts: number
  connected: boolean
  error?: string
  /** Bumped on every change: views compare it instead of deep state. */
  version: number
}

/** A full read of the node (what the feed polls). */
export interface Snapshot { node: NodeInfo, peers: PeerInfo[], jobs: JobInfo[], cache: CacheInfo }

export interface TuiStoreInit {
  /** Events kept for the event log (default 500). */
  maxEvents?: number
  /** Cache samples kept (default 120). */
  maxHistory?: number
  /**
   * Listeners are told of a change within this many ms, and at most once per this many ms: a change after a
   * quiet spell at once, one soon after the last telling when it has waited 3/4 of this for company, with those
   * in between (default 80; 0: every change at once). See {@link Pacer}.
   */
  batchMs?: number
  now?: () => number
  /** The clock and timers of that pacing (tests). */
  clock?: PacerClock
}

type Listener = () => void

/** Default window of redraw batching: an event is on screen within about this long. */
export const DEFAULT_BATCH_MS = 80

/**
 * The TUI's state, fed by snapshots (polled) and events (streamed). Listeners are told within `batchMs`
 * of a change and at most once per `batchMs`: an event after a quiet spell is drawn at once, a burst or a
 * steady stream costs one redraw per `batchMs` or fewer.
 */
export class TuiStore {
  private state: TuiState = { peers: [], jobs: [], history: [], events: [], missedEvents: 0, nodeRestarts: 0, connected: false, version: 0 }
  private readonly listeners = new Set<Listener>()
  private readonly init: Required<Omit<TuiStoreInit, 'now' | 'clock'>> & { now: () => number }
  private readonly pacer: Pacer

  constructor (init: TuiStoreInit = {}) {
    const { clock, ...rest } = init
    this.init = { maxEvents: 500, maxHistory: 120, batchMs: DEFAULT_BATCH_MS, now: Date.now, ...rest }
    this.pacer = new Pacer(this.init.batchMs, () => { this.notify() }, clock)
  }

  get snapshot (): TuiState { return this.state }

  subscribe (listener: Listener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * A polled snapshot. Parts equal to what the store has keep their identity, so a view whose data
   * did not change (200 idle peers polled every 2 s) is not redrawn.
   */
  applySnapshot (snapshot: Snapshot): void {
    const sample = cacheSample(snapshot.cache, this.init.now())
    const history = [...this.state.history, sample].slice(-this.init.maxHistory)
    const { node, peers, jobs, cache } = this.state
    this.update({
      node: sameOr(node, snapshot.node), peers: sameOr(peers, snapshot.peers), jobs: sameOr(jobs, snapshot.jobs), cache: sameOr(cache, snapshot.cache),
      history, connected: true, error: undefined
    })
  }

  applyEvent (event: NodeEvent): void {
    const events = this.state.events.length >= this.init.maxEvents
      ? [...this.state.events.slice(this.state.events.length - this.init.maxEvents + 1), event]
      : [...this.state.events, event]
    this.update({ events, ...eventEffects(this.state, event) })
  }

  /** The node no longer held `missed` events this store had not seen. */
  applyGap (missed: number): void {
    this.update({ missedEvents: this.state.missedEvents + missed })
  }

  /** The node restarted since the last event the stream saw (it cannot say how many events that run sent after it). */
  noteRestart (): void {
    this.update({ nodeRestarts: this.state.nodeRestarts + 1 })
  }

  setConnection (connected: boolean, error?: string): void {
    if (connected === this.state.connected && error === this.state.error) return
    this.update({ connected, error })
  }

  /** Sends any batched change now (tests, shutdown). */
  flush (): void {
    this.pacer.flush()
  }

  private update (change: Partial<TuiState>): void {
    this.state = { ...this.state, ...change, version: this.state.version + 1 }
    this.pacer.changed()
  }

  private notify (): void {
    for (const listener of this.listeners) listener()
  }
}

/** What an event changes besides the log: peers come and go, jobs change state. */
function eventEffects (state: TuiState, event: NodeEvent): Partial<TuiState> {
  switch (event.type) {
    case 'peer-up':
      if (state.peers.some(p => p.peerId === event.peer)) return {}
      return { peers: [...state.peers, { peerId: event.peer, status: 'alive', connected: true, load: { capacity: 0, running: 0, queued: 0, cacheBytes: 0 }, addresses: [] }] }
    case 'peer-down': return { peers: state.peers.filter(p => p.peerId !== event.peer) }
    case 'job': return { jobs: state.jobs.map(j => j.id === event.jobId ? { ...j, state: event.state } : j) }
    default: return {}
  }
}

/** `previous` when `next` has the same content, else `next`. */
function sameOr<T> (previous: T | undefined, next: T): T {
  return previous !== undefined && JSON.stringify(previous) === JSON.stringify(next) ? previous : next
}

function cacheSample (cache: CacheInfo, time: number): CacheSample {
  return {
    time,
    hits: cache.http.hits,
    misses: cache.http.misses,
    servedBytes: (cache.sharing?.servedBytes ?? 0),
    fetchedBytes: cache.sharing?.fetchedBytes ?? 0
  }
}
