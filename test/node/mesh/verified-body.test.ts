import test from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { IntegrityError, SizeMismatchError } from '../../../src/cas/errors.js'
import { fetchFailure, readVerifiedBody } from '../../../node/mesh/verified-body.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** A peer's body as it arrives: `bytes` cut into chunks of `size`, counting how many were pulled. */
function arriving (bytes: Uint8Array, size = 1000): { body: AsyncGenerator<Uint8Array>, pulled: () => number } {
  let pulled = 0
  async function * body (): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < bytes.byteLength; at += size) {
      pulled++
      yield bytes.subarray(at, at + size)
    }
  }
  return { body: body(), pulled: () => pulled }
}

test('a body of the announced size and hash is read whole', async t => {
  const bytes = randomBytes(5 * 1024 + 7)
  t.deepEqual(Buffer.from(await readVerifiedBody(arriving(bytes).body, bytes.byteLength, sha256(bytes))), bytes)
  t.is((await readVerifiedBody(arriving(new Uint8Array(0)).body, 0, sha256(new Uint8Array(0)))).byteLength, 0, 'an empty entry')
})

test('a body with one flipped byte is refused as an integrity error, and no bytes come out', async t => {
  const bytes = randomBytes(4096)
  const announced = sha256(bytes)
  bytes[100] = bytes[100]! ^ 0xff
  const err = await t.throwsAsync(readVerifiedBody(arriving(bytes).body, bytes.byteLength, announced), { instanceOf: IntegrityError })
  t.is(err?.expected, announced)
})

test('a body longer than announced is refused at the chunk that overruns, before the rest is read', async t => {
  const bytes = randomBytes(10_000)
  const peer = arriving(bytes)
  await t.throwsAsync(readVerifiedBody(peer.body, 2500, sha256(bytes.subarray(0, 2500))), { instanceOf: SizeMismatchError })
  t.is(peer.pulled(), 3, 'stopped at the third 1000-byte chunk')
})

test('a body that ends short of the announced size is refused', async t => {
  const bytes = randomBytes(3000)
  const err = await t.throwsAsync(readVerifiedBody(arriving(bytes).body, 4000, sha256(bytes)), { instanceOf: SizeMismatchError })
  t.like(err, { expected: 4000, actual: 3000 })
})

test('only a wrong hash or more bytes than announced make a fetch corrupt; a body that ended short is an error', t => {
  const live = new AbortController().signal
  t.is(fetchFailure(new IntegrityError('a'.repeat(64), 'b'.repeat(64)), live), 'corrupt')
  t.is(fetchFailure(new SizeMismatchError(4000, 4001), live), 'corrupt', 'bytes past the announced size')
  // a provider whose process died or whose connection dropped: libp2p 3 ends the stream as if the provider closed it
  t.is(fetchFailure(new SizeMismatchError(4000, 3000), live), 'error', 'a body cut short')
  t.is(fetchFailure(new SizeMismatchError(4000, 0), live), 'error', 'a body cut before its first byte')
  const calledOff = new AbortController()
  calledOff.abort(new Error('lookup moved on'))
  t.is(fetchFailure(new SizeMismatchError(4000, 3000), calledOff.signal), 'timeout', 'a body the lookup called off')
})
