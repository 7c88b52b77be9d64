import type { Uint8ArrayList } from 'uint8arraylist'
import type { Connection, Libp2p, PeerId, Stream, StreamCloseEvent } from '@libp2p/interface'
import { StreamReader, encodeFrame, sendAll } from './stream-reader.js'
import { FrameTooLargeError, InvalidFrameError, StreamEndedBeforeFrameError, StreamEndedError, TooManyStreamsError } from './errors.js'

/** A reply: a header frame, optionally followed by raw body bytes up to the end of the stream. */
export interface RpcReply {
  header: Uint8Array
  body?: AsyncIterable<Uint8Array | Uint8ArrayList> | Iterable<Uint8Array | Uint8ArrayList>
  /**
   * A body already in memory, instead of `body`: handed to the stream in the same write as the header, so a small
   * reply leaves as one muxer frame, with no stream to iterate (a round of event-loop turns and a frame less).
   */
  bytes?: Uint8Array
  /** Called once, when the reply was written or given up: the end of a `bytes` reply, which has no stream to close. */
  settled?: () => void
}

export interface RpcContext {
  /** The authenticated remote peer. */
  peer: PeerId
  /** Aborted when the stream closes, the request deadline passes or the server stops. */
  signal: AbortSignal
  /**
   * Lifts the request deadline (`requestTimeoutMs`) from here on: for a handler that bounds its own time, e.g. by
   * the progress of a transfer it waits for. The stream closing or the server stopping still abort `signal`.
   */
  releaseDeadline: () => void
}

/**
 * Answers one request; throw `BadRequestError` for a request that does not decode. Resolve to
 * `undefined` for one-way messages (`sendFrame`): the stream is closed without a reply.
 */
export type RpcHandler = (request: Uint8Array, context: RpcContext) => Promise<Uint8Array | RpcReply | undefined>

/** Thrown by a handler for undecodable input: the stream is reset and counted as malformed. */
export class BadRequestError extends Error {
  static readonly code = 'ERR_BAD_REQUEST'
  override name = 'BadRequestError'
}

export interface RpcServerInit {
  /** Versioned protocol id, e.g. `/gmesh/cas/1.0.0`. */
  protocol: string
  handler: RpcHandler
  /** Largest request frame accepted. Default 64 KiB. */
  maxRequestBytes?: number
  /** Concurrent inbound streams per peer on this protocol; more are reset and counted. Default 8. */
  maxInboundStreamsPerPeer?: number
  /**
   * Time allowed to receive the request frame (from the stream's open: a spare stream waits idle for it within this),
   * then again to produce the reply header. Default 10 s.
   */
  requestTimeoutMs?: number
  /** While the reply is written, the longest the peer may take nothing before the stream is reset. Default 30 s. */
  replyStallTimeoutMs?: number
}

/** The peer stopped reading a reply (paused, frozen, or holding its window shut): its stream is reset. */
export class ReplyStalledError extends Error {
  static readonly code = 'ERR_REPLY_STALLED'
  override name = 'ReplyStalledError'
  constructor (protocol: string, ms: number) {
    super(`${protocol} reply stalled: the peer took nothing for ${ms} ms`)
  }
}

export interface RpcServerStats {
  served: number
  /** Oversized frames, random bytes, truncated or undecodable requests. */
  malformed: number
  /** Streams over the per-peer limit. */
  refused: number
  /** Handler errors, timeouts and streams reset mid-reply. */
  failed: number
  /** Streams the peer ended before the first byte of a request: spare streams it did not need. */
  unused: number
}

type RpcHost = Pick<Libp2p, 'handle' | 'unhandle'>

/** libp2p's own default for outbound streams of one protocol on one connection. */
const DEFAULT_MAX_OUTBOUND_STREAMS = 64

/**
 * Serves one request/response protocol: each inbound stream carries one length-prefixed
 * request frame; the reply is a header frame plus an optional raw body, then the stream
 * is closed. Anything malformed resets that stream only.
 */
export class StreamRpcServer {
  readonly stats: RpcServerStats = { served: 0, malformed: 0, refused: 0, failed: 0, unused: 0 }
  readonly protocol: string
  private readonly handler: RpcHandler
  private readonly maxRequestBytes: number
  private readonly maxPerPeer: number
  private readonly requestTimeoutMs: number
  private readonly stallTimeoutMs: number
  private readonly active = new Map<string, number>()
  private readonly running = new Set<AbortController>()

  constructor (private readonly host: RpcHost, init: RpcServerInit) {
    this.protocol = init.protocol
    this.handler = init.handler
    this.maxRequestBytes = init.maxRequestBytes ?? 64 * 1024
    this.maxPerPeer = init.maxInboundStreamsPerPeer ?? 8
    this.requestTimeoutMs = init.requestTimeoutMs ?? 10_000
    this.stallTimeoutMs = init.replyStallTimeoutMs ?? 30_000
  }

  async start (): Promise<void> {
    // libp2p's own per-connection caps sit above ours so that excess streams reach us and are counted; its outbound
    // cap (this node as the asker) follows, so a protocol allowed many streams in is allowed as many out
    await this.host.handle(this.protocol, (stream, connection) => this.serve(stream, connection), {
      maxInboundStreams: this.maxPerPeer * 2,
      maxOutboundStreams: Math.max(DEFAULT_MAX_OUTBOUND_STREAMS, this.maxPerPeer * 2)
    })
  }

  async stop (): Promise<void> {
    await this.host.unhandle(this.protocol)
    for (const controller of this.running) controller.abort(new Error(`${this.protocol} server stopped`))
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const count = this.active.get(peer) ?? 0
    if (count >= this.maxPerPeer) {
      this.stats.refused++
      stream.abort(new TooManyStreamsError(this.protocol, this.maxPerPeer))
      return
    }
    this.active.set(peer, count + 1)
    const controller = new AbortController()
    this.running.add(controller)
    const timer = setTimeout(() => { controller.abort(new Error(`${this.protocol} request timed out`)) }, this.requestTimeoutMs)
    const onClose = (evt: StreamCloseEvent): void => {
      if (evt.error != null) controller.abort(new Error(`${this.protocol} stream closed before the reply was sent`))
    }
    stream.addEventListener('close', onClose)
    const reader = new StreamReader(stream)
    let reply: Uint8Array | RpcReply | undefined
    let stalled: NodeJS.Timeout | undefined
    try {
      const request = await reader.readFrame(this.maxRequestBytes, controller.signal)
      // the handler's time starts with its request: a peer's spare stream may have waited idle for it (within the deadline)
      timer.refresh()
      reply = await this.handler(request, { peer: connection.remotePeer, signal: controller.signal, releaseDeadline: () => { clearTimeout(timer) } })
      clearTimeout(timer)
      // no deadline on a whole reply (a big body takes as long as it takes), but one on a peer that stops reading
      stalled = setTimeout(() => { controller.abort(new ReplyStalledError(this.protocol, this.stallTimeoutMs)) }, this.stallTimeoutMs)
      await writeReply(stream, reply, controller.signal, () => { stalled?.refresh() })
      this.stats.served++
    } catch (err) {
      if (err instanceof StreamEndedBeforeFrameError && reply === undefined) {
        this.stats.unused++
        await closeQuietly(stream)
        return
      }
      if (isMalformed(err)) this.stats.malformed++
      else this.stats.failed++
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      // a body never read (the header did not go out) is closed here: its owner counts on its 'close'
      if (reply !== undefined && !(reply instanceof Uint8Array)) destroyBody(reply.body)
    } finally {
      if (reply !== undefined && !(reply instanceof Uint8Array)) reply.settled?.()
      clearTimeout(timer)
      clearTimeout(stalled)
      stream.removeEventListener('close', onClose)
      reader.release()
      this.running.delete(controller)
      this.release(peer)
    }
  }

  private release (peer: string): void {
    const count = (this.active.get(peer) ?? 1) - 1
    if (count <= 0) this.active.delete(peer)
    else this.active.set(peer, count)
  }
}

/** Writes the reply; `progress` is told after every piece the stream took. */
async function writeReply (stream: Stream, reply: Uint8Array | RpcReply | undefined, signal: AbortSignal, progress: () => void): Promise<void> {
  if (reply === undefined) {
    await stream.close({ signal })
    return
  }
  const { header, body, bytes } = reply instanceof Uint8Array ? { header: reply, body: undefined, bytes: undefined } : reply
  const head = encodeFrame(header)
  if (bytes !== undefined) head.append(bytes)
  await sendAll(stream, head, signal)
  progress()
  if (body != null) {
    for await (const chunk of body) {
      signal.throwIfAborted()
      await sendAll(stream, chunk, signal)
      progress()
    }
  }
  await stream.close({ signal })
}

/** Ends this side of a stream the peer ended unused; one that does not close in time is reset. */
async function closeQuietly (stream: Stream): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(5000) })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

function destroyBody (body: RpcReply['body']): void {
  const destroyable = body as { destroy?: () => void } | undefined
  destroyable?.destroy?.()
}

function isMalformed (err: unknown): boolean {
  return err instanceof FrameTooLargeError || err instanceof InvalidFrameError ||
    err instanceof StreamEndedError || err instanceof BadRequestError
}
