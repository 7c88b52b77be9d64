import test from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import type { Stream } from '@libp2p/interface'
import { sendAll, StreamReader } from '../../../node/libp2p/stream-reader.js'
import { addressOf, startNode } from './helpers.js'

const PROTOCOL = '/gmesh/test-reader/1.0.0'
const MiB = 1024 * 1024

/**
 * Sends `body` in 64 KiB pieces as fast as the stream takes them, each in its own turn of the event loop as a file
 * read would (so they go out as 64 KiB frames, not as one frame of the whole window), then closes the writable end.
 */
async function sendBody (stream: Stream, body: Uint8Array): Promise<void> {
  for (let offset = 0; offset < body.byteLength; offset += 64 * 1024) {
    await sendAll(stream, body.subarray(offset, offset + 64 * 1024))
    await nextTurn()
  }
  await stream.close()
}

// A slow consumer makes the reader pause and later resume with megabytes waiting in libp2p's buffer. resume() hands
// those over before it tells yamux to resume; a pause taken while handling them was undone by yamux at once, so the
// stream stayed 'paused' while yamux kept granting window: libp2p's read buffer grew until it passed its 20 MiB limit
// and the stream was aborted ("Read buffer length of … exceeded limit …, read status is paused").
test('a body far bigger than the read buffer limit arrives whole at a consumer slower than the sender', async t => {
  const body = randomBytes(48 * MiB)
  const sender = await startNode(t)
  const receiver = await startNode(t)
  let sent: Promise<unknown> | undefined
  await sender.handle(PROTOCOL, stream => { sent = sendBody(stream, body).then(() => undefined, (err: unknown) => err) })
  const stream = await receiver.dialProtocol(multiaddr(addressOf(sender)), PROTOCOL)
  const reader = new StreamReader(stream)
  const hash = createHash('sha256')
  let received = 0
  let largestBuffered = 0
  for await (const chunk of reader.readToEnd(AbortSignal.timeout(30_000))) {
    hash.update(chunk)
    received += chunk.byteLength
    await delay(chunk.byteLength / (16 * MiB) * 1000) // a consumer taking 16 MiB/s, slower than loopback
    largestBuffered = Math.max(largestBuffered, stream.readBufferLength) // what arrived while the reader was paused
  }
  reader.release()
  t.is(await sent, undefined, 'the sender finished without an error')
  t.is(received, body.byteLength)
  t.is(hash.digest('hex'), createHash('sha256').update(body).digest('hex'))
  // paused, only the window yamux granted before the pause (at most 16 MiB) may pile up in libp2p's buffer
  t.true(largestBuffered <= 16 * MiB, `libp2p buffered ${largestBuffered} bytes while the reader was paused`)
})

/** Just enough of a libp2p 3 stream for a StreamReader: `message` and `end` events, and a flow that never pauses. */
class FakeStream extends EventTarget {
  maxReadBufferLength = 0
  readableEnded = false
  readStatus = 'readable'
  readBufferLength = 0
  pause (): void { this.readStatus = 'paused' }
  resume (): void { this.readStatus = 'readable' }
  receive (data: Uint8Array): void { this.dispatchEvent(Object.assign(new Event('message'), { data })) }
  end (): void {
    this.readableEnded = true
    this.dispatchEvent(new Event('end'))
  }
}

// The reader had the whole body buffered and the stream ended: readToEnd handed on the rest and ended cleanly after
// its signal aborted (fill returned at the end of the stream before it looked at the signal), so a fetch called off
// read as a complete body.
test('readToEnd throws once its signal aborts, with chunks still buffered or the stream already ended', async t => {
  const stream = new FakeStream()
  const reader = new StreamReader(stream as unknown as Stream)
  stream.receive(Uint8Array.of(1))
  stream.receive(Uint8Array.of(2))
  stream.end()
  const buffered = new AbortController()
  const chunks = reader.readToEnd(buffered.signal)
  t.deepEqual((await chunks.next()).value, Uint8Array.of(1))
  buffered.abort(new Error('called off'))
  await t.throwsAsync(chunks.next(), { message: 'called off' }, 'not the chunk still buffered')

  const ended = new AbortController()
  const rest = new StreamReader(stream as unknown as Stream).readToEnd(ended.signal)
  ended.abort(new Error('called off at the end'))
  await t.throwsAsync(rest.next(), { message: 'called off at the end' }, 'not a clean end')
})
