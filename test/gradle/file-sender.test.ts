import test from 'ava'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { FileSender, ShortFileError } from '../../src/gradle/file-sender.js'
import type { BlobFileReader } from '../../src/cas/types.js'

/** A file held in memory, read the way a blob file is: fills the buffer from `position`, short only at its end. */
function fileOf (bytes: Buffer): BlobFileReader {
  return {
    read: async (buffer, position) => {
      const part = bytes.subarray(position, position + buffer.byteLength)
      buffer.set(part)
      return part.byteLength
    }
  }
}

/**
 * A socket that takes a while to send each chunk and checks, when it calls back, that nobody changed the chunk's
 * bytes while it held them: what a sender reusing a buffer too early would do.
 */
function slowSocket (): { out: Writable, received: Buffer[], changedWhileHeld: () => number } {
  const received: Buffer[] = []
  let changed = 0
  const out = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      const copy = Buffer.from(chunk)
      setImmediate(() => {
        if (!copy.equals(chunk)) changed++
        received.push(copy)
        callback()
      })
    }
  })
  return { out, received, changedWhileHeld: () => changed }
}

test('a file is sent whole, chunk by chunk, and no chunk is read into while the socket still holds it', async t => {
  const bytes = randomBytes(10 * 16 + 5)
  const sender = new FileSender({ chunkBytes: 16 })
  const { out, received, changedWhileHeld } = slowSocket()
  await sender.send(fileOf(bytes), bytes.byteLength, out, new AbortController().signal)
  t.true(Buffer.concat(received).equals(bytes))
  t.is(received.length, 11)
  t.is(changedWhileHeld(), 0)
  t.true(out.writableEnded)
})

test('the next response reuses the buffers of the last one', async t => {
  const sender = new FileSender({ chunkBytes: 16 })
  const first = randomBytes(100)
  const second = randomBytes(70)
  await sender.send(fileOf(first), first.byteLength, slowSocket().out, new AbortController().signal)
  t.is(sender.kept, 2)
  const socket = slowSocket()
  await sender.send(fileOf(second), second.byteLength, socket.out, new AbortController().signal)
  t.is(sender.kept, 2, 'taken and given back, none allocated on top')
  t.true(Buffer.concat(socket.received).equals(second))
})

test('a file shorter than its entry fails the send and its buffers are not kept', async t => {
  const sender = new FileSender({ chunkBytes: 16 })
  const { out } = slowSocket()
  const error = await t.throwsAsync(sender.send(fileOf(randomBytes(40)), 64, out, new AbortController().signal), { instanceOf: ShortFileError })
  t.regex(error.message, /ended at byte 40 of 64/)
  t.false(out.writableEnded)
  t.is(sender.kept, 0)
})

test('a client that leaves while its socket never calls back ends the send with the abort', async t => {
  const sender = new FileSender({ chunkBytes: 16 })
  const stuck = new Writable({ write () {} })
  const gone = new AbortController()
  const sending = sender.send(fileOf(randomBytes(64)), 64, stuck, gone.signal)
  setImmediate(() => { gone.abort(new Error('client left')) })
  await t.throwsAsync(sending, { message: 'client left' })
  t.is(sender.kept, 0, 'the buffer the socket holds is dropped with its partner')
})

test('a write that fails fails the send', async t => {
  const sender = new FileSender({ chunkBytes: 16 })
  const broken = new Writable({ write (_chunk, _encoding, callback) { callback(new Error('EPIPE')) } })
  broken.on('error', () => {})
  await t.throwsAsync(sender.send(fileOf(randomBytes(64)), 64, broken, new AbortController().signal), { message: 'EPIPE' })
})
