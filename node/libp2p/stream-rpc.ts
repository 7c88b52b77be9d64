import { isPeerId, type Libp2p, type PeerId, type Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { StreamReader, encodeFrame, sendAll } from './stream-reader.js'
import { BodyStalledError, BodyTooLargeError, DeadlineExceededError, FrameTooLargeError, InvalidFrameError } from './errors.js'
import type { SpareStreams } from './spare-streams.js'

export { StreamRpcServer, BadRequestError } from './stream-rpc-server.js'
export type { RpcHandler, RpcReply, RpcContext, RpcServerInit, RpcServerStats } from './stream-rpc-server.js'

/**
 * Client side of the gmesh request/response protocols: one stream per call, the request
 * as one length-prefixed frame, the reply as a header frame and, for `openRpc`, a raw body
 * up to the end of the stream. Every call has an AbortSignal and a deadline.
 */

type RpcDialer = Pick<Libp2p, 'dialProtocol'>

export interface RpcCallOptions {
  /** Cancels the call; the stream is reset. */
  signal: AbortSignal
  /** Time allowed from dialing to the complete reply header (`DeadlineExceededError`). */
  deadlineMs: number
  /** Largest reply header accepted. Default 64 KiB. */
  maxReplyBytes?: number
  /**
   * Spare streams of the protocol (a `PeerId` peer only): the call takes the peer's ready one instead of opening a
   * stream, and a new spare is opened after its reply header. Only for requests safe to send twice: a spare found
   * reset before the reply header is replaced by a new stream within the call.
   */
  spares?: Pick<SpareStreams, 'take' | 'refill'>
}

export interface RpcOpenOptions extends RpcCallOptions {
  /** Largest body accepted; more resets the stream with `BodyTooLargeError`. */
  maxBodyBytes: number
  /**
   * Longest wait for the next body chunk (`BodyStalledError`, the stream reset). Default `BODY_STALL_MS`. The
   * deadline ends at the header: a body may take long as long as it keeps moving, but one that stops is abandoned
   * (libp2p enforces no stream inactivity timeout, and the socket's does not fire while other streams use it).
   */
  bodyStallMs?: number
}

/** Default `bodyStallMs`. */
export const BODY_STALL_MS = 30_000

export interface RpcBodyResponse {
  header: Uint8Array
  /** The raw body, bounded by `maxBodyBytes` and the call's signal. Consume it or call `abort`. */
  body: AsyncGenerator<Uint8Array, void, undefined>
  abort: (reason?: Error) => void
}

/** Sends `request` and resolves to the reply frame. */
export async function callRpc (node: RpcDialer, peer: PeerId | Multiaddr, protocol: string, request: Uint8Array,
  options: RpcCallOptions): Promise<Uint8Array> {
  const { stream, reader, header } = await exchange(node, peer, protocol, request, options)
  reader.release()
  closeAfterReply(stream)
  return header
}

/** A remote that sent its reply but never ends its side would keep the stream (and a slot of the per-peer limit): reset it after a grace period. */
function closeAfterReply (stream: Stream): void {
  if (stream.status !== 'open') return
  const timer = setTimeout(() => { stream.abort(new Error('the remote sent its reply but did not end the stream')) }, REPLY_END_GRACE_MS)
  timer.unref()
  stream.addEventListener('close', () => { clearTimeout(timer) }, { once: true })
}

const REPLY_END_GRACE_MS = 5000

export interface SendFrameOptions extends RpcCallOptions {
  /**
   * Resolve only once the remote has handled the frame and ended its side of the stream (a one-way server does so
   * when its handler returns), so that a sender can pace frames to stay under the remote's per-peer stream limit.
   */
  untilHandled?: boolean
}

/**
 * Sends one frame without waiting for a reply (a sans-IO `send` effect): resolves once the frame
 * is handed to the connection, or with `untilHandled` once the remote handled it. Delivery is not
 * confirmed, as the protocols expect. Given several protocols, it sends on the first of them the peer speaks.
 */
export async function sendFrame (node: RpcDialer, peer: PeerId | Multiaddr, protocol: string | readonly string[], message: Uint8Array,
  options: SendFrameOptions): Promise<void> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.deadlineMs)])
  const stream = await node.dialProtocol(peer, typeof protocol === 'string' ? protocol : [...protocol], { signal })
  const reader = options.untilHandled === true ? new StreamReader(stream) : undefined
  try {
    await sendAll(stream, encodeFrame(message), signal)
    await stream.close({ signal })
    // a one-way server sends nothing back: the end of its side says it is done with the frame
    if (reader !== undefined) for await (const _ of reader.readToEnd(signal)) continue
  } catch (err) {
    stream.abort(asError(err))
    throw err
  } finally {
    reader?.release()
  }
}

/** Sends `request` and resolves once the reply header arrived; the body streams afterwards. */
export async function openRpc (node: RpcDialer, peer: PeerId | Multiaddr, protocol: string, request: Uint8Array,
  options: RpcOpenOptions): Promise<RpcBodyResponse> {
  const { stream, reader, header } = await exchange(node, peer, protocol, request, options)
  const abort = (reason?: Error): void => {
    reader.release()
    stream.abort(reason ?? new Error(`${protocol} body abandoned`))
  }
  return { header, body: readBody(stream, reader, options), abort }
}

async function * readBody (stream: Stream, reader: StreamReader, options: RpcOpenOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const stall = new StallTimer(options.bodyStallMs ?? BODY_STALL_MS)
  const chunks = reader.readToEnd(AbortSignal.any([options.signal, stall.signal]))
  let received = 0
  let complete = false
  try {
    while (true) {
      stall.arm()
      const next = await chunks.next().catch((err: unknown) => { throw stall.signal.aborted ? stall.signal.reason : err })
      stall.disarm() // while the caller handles a chunk, the sender is not the one waited for
      if (next.done === true) break
      received += next.value.byteLength
      if (received > options.maxBodyBytes) throw new BodyTooLargeError(options.maxBodyBytes)
      yield next.value
    }
    complete = true
  } finally {
    stall.disarm()
    await chunks.return(undefined)
    reader.release()
    if (!complete) stream.abort(new Error('body not read to the end'))
  }
}

/** Aborts its signal with `BodyStalledError` once armed for `ms` without being disarmed. */
class StallTimer {
  private readonly controller = new AbortController()
  private timer: ReturnType<typeof setTimeout> | undefined
  constructor (private readonly ms: number) {}
  get signal (): AbortSignal { return this.controller.signal }
  arm (): void {
    this.disarm()
    this.timer = setTimeout(() => { this.controller.abort(new BodyStalledError(this.ms)) }, this.ms)
  }

  disarm (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}

interface Exchange { stream: Stream, reader: StreamReader, header: Uint8Array }

async function exchange (node: RpcDialer, peer: PeerId | Multiaddr, protocol: string, request: Uint8Array,
  options: RpcCallOptions): Promise<Exchange> {
  const deadline = AbortSignal.timeout(options.deadlineMs)
  const signal = AbortSignal.any([options.signal, deadline])
  const target = isPeerId(peer) ? peer : undefined
  const spares = target === undefined ? undefined : options.spares
  const spare = target === undefined ? undefined : spares?.take(target)
  try {
    if (spare !== undefined) {
      try {
        return await exchangeOn(async () => spare, protocol, request, options, deadline, signal)
      } catch (err) {
        // a spare reset or ended before its reply (the remote's deadline, a lost race with its close): ask on a new
        // stream; a reply that came and is bad would come again
        if (signal.aborted || err instanceof FrameTooLargeError || err instanceof InvalidFrameError) throw err
      }
    }
    // a full multistream-select round trip before the request goes: libp2p 3.3 declares `negotiateFully: false`
    // (the proposal sent with the first write) but neither Connection.newStream nor multistream-select 7 implements it
    return await exchangeOn(async () => await node.dialProtocol(peer, protocol, { signal }), protocol, request, options, deadline, signal)
  } finally {
    // off the caller's path: the open goes out once the reply is being handled
    if (spares !== undefined && target !== undefined) setImmediate(() => { spares.refill(target) })
  }
}

async function exchangeOn (open: () => Promise<Stream>, protocol: string, request: Uint8Array, options: RpcCallOptions,
  deadline: AbortSignal, signal: AbortSignal): Promise<Exchange> {
  let stream: Stream | undefined
  let reader: StreamReader | undefined
  const onAbort = (): void => { stream?.abort(asError(abortReason(options, deadline, protocol))) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    signal.throwIfAborted()
    stream = await open()
    reader = new StreamReader(stream)
    await sendAll(stream, encodeFrame(request), signal)
    await stream.close({ signal })
    const header = await reader.readFrame(options.maxReplyBytes ?? 64 * 1024, signal)
    return { stream, reader, header }
  } catch (err) {
    reader?.release()
    const reason = signal.aborted ? abortReason(options, deadline, protocol) : err
    stream?.abort(asError(reason))
    throw reason
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function abortReason (options: RpcCallOptions, deadline: AbortSignal, protocol: string): unknown {
  if (options.signal.aborted) return options.signal.reason
  if (deadline.aborted) return new DeadlineExceededError(protocol, options.deadlineMs)
  return new Error(`${protocol} call aborted`)
}

function asError (reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason))
}
