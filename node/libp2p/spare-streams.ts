import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/**
 * Keeps one already-negotiated outbound stream of one protocol ready per peer, so that the next call to that peer
 * skips the stream open (a Yamux stream plus a multistream-select round trip: ~1.3-1.5 ms of a 5 KiB fetch's first
 * byte on loopback, ~4 ms at p99). A spare is opened only on a connection already open (never a dial), after a call
 * took one or asked for one; it is closed when unused for `idleMs`, dropped when its connection closes or it is
 * reset, and all are closed on `stop`. The server sees an idle spare as a stream whose request has not come yet:
 * `idleMs` must stay well inside its request deadline, and closing a spare ends it before any byte of a request.
 */

export interface SpareStreamsInit {
  protocol: string
  /** A spare unused this long is closed. Default `SPARE_IDLE_MS`; at most `MAX_SPARE_IDLE_MS`. */
  idleMs?: number
  /** Longest a spare may take to open or to close. Default 5 s. */
  openTimeoutMs?: number
  /** Spares held at once (ready or opening), over all peers; a refill past it is skipped. Default 64. */
  maxSpares?: number
}

/** Default `idleMs`: a fraction of the blob server's request deadline (30 s), so an idle spare never meets it. */
export const SPARE_IDLE_MS = 5000
/** Bound of `idleMs`: a third of the shortest request deadline a gmesh server uses by default (30 s). */
export const MAX_SPARE_IDLE_MS = 10_000

export interface SpareStreamStats {
  /** Spares opened and made ready. */
  opened: number
  /** Spares a call took. */
  taken: number
  /** Spares closed after `idleMs` unused. */
  idleClosed: number
  /** Spares found closed or reset (by the remote, or with their connection) before a call took them. */
  lost: number
  /** Opens that failed. */
  failed: number
}

type SpareDialer = Pick<Libp2p, 'getConnections'>

/** Why a spare left the pool without a call taking it. */
export type SpareEndReason = 'idle' | 'lost' | 'stopped'

/** Events: `ready` (a spare to `peer` is ready), `ended` (a spare to `peer` left unused, for `reason`; an idle one once closed). */
export interface SpareEventDetail { peer: string, reason?: SpareEndReason }

interface Spare { stream: Stream, timer: ReturnType<typeof setTimeout>, onClose: () => void }

export class SpareStreams extends EventTarget {
  readonly stats: SpareStreamStats = { opened: 0, taken: 0, idleClosed: 0, lost: 0, failed: 0 }
  readonly protocol: string
  private readonly idleMs: number
  private readonly openTimeoutMs: number
  private readonly maxSpares: number
  private readonly ready = new Map<string, Spare>()
  private readonly opening = new Set<string>()
  private readonly stopping = new AbortController()

  constructor (private readonly node: SpareDialer, init: SpareStreamsInit) {
    super()
    this.protocol = init.protocol
    this.idleMs = Math.min(init.idleMs ?? SPARE_IDLE_MS, MAX_SPARE_IDLE_MS)
    this.openTimeoutMs = init.openTimeoutMs ?? 5000
    this.maxSpares = init.maxSpares ?? 64
  }

  /** Streams this pool holds to `peer` (a ready spare, or one opening): they count in its per-peer streams. */
  held (peer: PeerId): number {
    const key = peer.toString()
    return (this.ready.has(key) ? 1 : 0) + (this.opening.has(key) ? 1 : 0)
  }

  /** The ready spare to `peer`, now the caller's; undefined if there is none or it is no longer open. */
  take (peer: PeerId): Stream | undefined {
    const key = peer.toString()
    const spare = this.ready.get(key)
    if (spare === undefined) return undefined
    this.forget(key, spare)
    if (!usable(spare.stream)) {
      this.ended(key, 'lost')
      spare.stream.abort(new Error('spare stream no longer open'))
      return undefined
    }
    this.stats.taken++
    return spare.stream
  }

  /** Opens a spare to `peer` in the background, if it has none (ready or opening), a connection is open and `maxSpares` allows. */
  refill (peer: PeerId): void {
    const key = peer.toString()
    if (this.stopping.signal.aborted || this.ready.has(key) || this.opening.has(key)) return
    if (this.ready.size + this.opening.size >= this.maxSpares) return
    const connection = this.node.getConnections(peer).find(c => c.status === 'open')
    if (connection === undefined) return
    this.opening.add(key)
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.openTimeoutMs)])
    connection.newStream(this.protocol, { signal })
      .then(stream => { this.keep(key, stream) }, () => { if (!this.stopping.signal.aborted) this.stats.failed++ })
      .finally(() => { this.opening.delete(key) })
  }

  /** Closes every spare; no more are opened. */
  stop (): void {
    this.stopping.abort(new Error('spare streams stopped'))
    for (const [key, spare] of [...this.ready]) {
      this.forget(key, spare)
      spare.stream.abort(new Error('spare streams stopped'))
      this.ended(key, 'stopped')
    }
  }

  private keep (key: string, stream: Stream): void {
    if (this.stopping.signal.aborted || this.ready.has(key) || !usable(stream)) {
      stream.abort(new Error('spare stream not needed'))
      return
    }
    const spare: Spare = {
      stream,
      timer: setTimeout(() => { this.closeIdle(key, spare) }, this.idleMs),
      onClose: () => {
        this.forget(key, spare)
        this.ended(key, 'lost')
      }
    }
    spare.timer.unref()
    stream.addEventListener('close', spare.onClose, { once: true })
    this.ready.set(key, spare)
    this.stats.opened++
    this.dispatchEvent(new CustomEvent<SpareEventDetail>('ready', { detail: { peer: key } }))
  }

  /** Ends an unused spare before any byte of a request: the server closes its side too (its `unused`); `ended` once both did. */
  private closeIdle (key: string, spare: Spare): void {
    this.forget(key, spare)
    this.stats.idleClosed++
    const stream = spare.stream
    // both sides closed (or reset): a remote that does not close its side in time is reset
    const timer = setTimeout(() => { stream.abort(new Error('spare stream close not answered')) }, this.openTimeoutMs)
    timer.unref()
    stream.addEventListener('close', () => {
      clearTimeout(timer)
      this.ended(key, 'idle')
    }, { once: true })
    stream.close().catch((err: unknown) => { stream.abort(err instanceof Error ? err : new Error(String(err))) })
  }

  private ended (key: string, reason: SpareEndReason): void {
    if (reason === 'lost') this.stats.lost++
    this.dispatchEvent(new CustomEvent<SpareEventDetail>('ended', { detail: { peer: key, reason } }))
  }

  private forget (key: string, spare: Spare): void {
    clearTimeout(spare.timer)
    spare.stream.removeEventListener('close', spare.onClose)
    if (this.ready.get(key) === spare) this.ready.delete(key)
  }
}

function usable (stream: Stream): boolean {
  return stream.status === 'open' && stream.writeStatus === 'writable' &&
    (stream.readStatus === 'readable' || stream.readStatus === 'paused') &&
    stream.remoteWriteStatus === 'writable'
}
