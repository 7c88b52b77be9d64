import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { FrameTooLargeError, InvalidFrameError, StreamEndedBeforeFrameError, StreamEndedError } from './errors.js'

/** Longest varint accepted as a frame length: 5 bytes encode up to 2^35, far above any frame limit. */
const MAX_VARINT_BYTES = 5
/** Yamux lets a stream's receive window grow to 16 MiB, all of which may land while we are paused. */
const PAUSED_READ_BUFFER_BYTES = 20 * 1024 * 1024

export interface StreamReaderOptions {
  /** Pause the stream (stop yamux window updates) when this many bytes wait unread. Default 1 MiB. */
  highWaterMark?: number
}

/**
 * Pull-based reader over a libp2p 3 stream (which pushes 'message' events): reads
 * unsigned-varint length-prefixed frames, then optionally raw bytes to the end of the stream.
 * Backpressure: it pauses the stream while `highWaterMark` bytes are buffered.
 */
export class StreamReader {
  private readonly buffer = new Uint8ArrayList()
  private readonly highWaterMark: number
  private ended = false
  private failure?: Error
  private wake?: () => void
  /** Bytes a read waits to have buffered (a frame may be bigger than highWaterMark): no pause below them. */
  private awaiting = 0
  /** Inside our call of stream.resume(), which may hand over buffered bytes before the muxer resumes. */
  private resuming = false

  constructor (private readonly stream: Stream, options: StreamReaderOptions = {}) {
    this.highWaterMark = options.highWaterMark ?? 1024 * 1024
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_READ_BUFFER_BYTES)
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
    if (stream.readableEnded) this.ended = true
  }

  /** Stops listening to the stream; unread bytes are dropped. */
  release (): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('end', this.onEnd)
    this.stream.removeEventListener('close', this.onClose)
  }

  /** Reads one frame of at most `maxBytes`; throws on a bad length or an early end. */
  async readFrame (maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const length = await this.readLength(maxBytes, signal)
    await this.fill(length, signal)
    if (this.buffer.byteLength < length) {
      throw new StreamEndedError(`stream ended inside a frame (${this.buffer.byteLength} of ${length} bytes)`)
    }
    const frame = this.buffer.subarray(0, length)
    this.buffer.consume(length)
    this.maybeResume()
    return frame
  }

  /**
   * Yields the raw bytes left on the stream until the remote closes its end, as they arrived: the chunks buffered
   * are handed on one by one, not joined into one copy first (a 10 MiB body cost a copy of 10 MiB, and the GC its garbage).
   * Once `signal` aborts it throws, also with bytes still buffered or the stream already ended: a body called off must
   * not read as complete.
   */
  async * readToEnd (signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    while (true) {
      if (this.buffer.byteLength === 0) await this.fill(1, signal)
      signal?.throwIfAborted()
      if (this.buffer.byteLength === 0) return
      const chunks = [...this.buffer]
      this.buffer.consume(this.buffer.byteLength)
      this.maybeResume()
      for (const chunk of chunks) {
        signal?.throwIfAborted()
        yield chunk
      }
    }
  }

  private async readLength (maxBytes: number, signal?: AbortSignal): Promise<number> {
    for (let have = 1; have <= MAX_VARINT_BYTES; have++) {
      await this.fill(have, signal)
      if (this.buffer.byteLength < have) {
        if (have === 1) throw new StreamEndedBeforeFrameError('stream ended before a frame')
        throw new StreamEndedError('stream ended inside a frame length')
      }
      const byte = this.buffer.get(have - 1)
      if ((byte & 0x80) !== 0) continue
      let length = 0
      for (let i = have - 1; i >= 0; i--) length = length * 128 + (this.buffer.get(i) & 0x7f)
      if (length > maxBytes) throw new FrameTooLargeError(length, maxBytes)
      this.buffer.consume(have)
      return length
    }
    throw new InvalidFrameError(`frame length varint longer than ${MAX_VARINT_BYTES} bytes`)
  }

  /** Waits until `bytes` are buffered, the stream ended or failed, or `signal` aborts. */
  private async fill (bytes: number, signal?: AbortSignal): Promise<void> {
    this.awaiting = bytes
    try {
      await this.fillTo(bytes, signal)
    } finally {
      this.awaiting = 0
    }
  }

  private async fillTo (bytes: number, signal?: AbortSignal): Promise<void> {
    while (this.buffer.byteLength < bytes) {
      if (this.failure != null) throw this.failure
      if (this.ended) return
      signal?.throwIfAborted()
      // waiting for more than the pause threshold holds (a frame over highWaterMark): the stream must flow
      if (this.stream.readStatus === 'paused' && bytes > this.buffer.byteLength) this.resume()
      else this.maybeResume()
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => { reject(signal?.reason) }
        this.wake = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    }
  }

  private maybeResume (): void {
    if (this.stream.readStatus === 'paused' && this.buffer.byteLength < this.highWaterMark / 2) this.resume()
  }

  /**
   * Resumes the stream, then pauses it again if what it handed over filled the buffer. libp2p's resume() first
   * dispatches the bytes that arrived while paused and only then tells the muxer to resume (yamux: grant window
   * again); a pause taken inside that dispatch would be undone by the muxer straight away, leaving the stream
   * 'paused' (so libp2p buffers every byte) while yamux keeps granting window, until the read buffer passes its limit.
   */
  private resume (): void {
    this.resuming = true
    try {
      this.stream.resume()
    } finally {
      this.resuming = false
    }
    this.maybePause()
  }

  private maybePause (): void {
    if (this.buffer.byteLength >= Math.max(this.highWaterMark, this.awaiting) && this.stream.readStatus === 'readable') {
      this.stream.pause()
    }
  }

  private readonly onMessage = (evt: StreamMessageEvent): void => {
    this.buffer.append(evt.data)
    if (!this.resuming) this.maybePause() // inside resume() the pause waits until it returned
    this.notify()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.notify()
  }

  private readonly onClose = (evt: StreamCloseEvent): void => {
    if (evt.error != null) this.failure = evt.error
    else if (this.stream.readBufferLength === 0) this.ended = true
    this.notify()
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

/** Unsigned LEB128 varint of a non-negative safe integer. */
export function encodeVarint (value: number): Uint8Array {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/** One length-prefixed frame as a list (no copy of `payload`). */
export function encodeFrame (payload: Uint8Array | Uint8ArrayList): Uint8ArrayList {
  return new Uint8ArrayList(encodeVarint(payload.byteLength), payload)
}

/** Sends `data`, then waits for the stream to drain if its buffers are full (backpressure). */
export async function sendAll (stream: Stream, data: Uint8Array | Uint8ArrayList, signal?: AbortSignal): Promise<void> {
  if (!stream.send(data)) await stream.onDrain({ signal })
}
