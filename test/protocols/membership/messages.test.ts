import test from 'ava'
import {
  CodecError, MalformedMessageError, MessageTooLargeError, UnsupportedVersionError, Xoshiro128
} from '../../../protocols/core/index.js'
import { MAX_RECORDS_PER_MESSAGE, MEMBERSHIP_MAX_BYTES, membershipCodec } from '../../../protocols/membership/index.js'
import type { MemberRecord, MembershipMessage } from '../../../protocols/membership/index.js'

const load = { capacity: 8, running: 3, queued: 120, cacheBytes: 5 * 1024 ** 3 }
const record: MemberRecord = { peer: '12D3KooWQmExamplePeerId', status: 'suspect', incarnation: 7, load }

const samples: MembershipMessage[] = [
  { type: 'ping', seq: 1, incarnation: 0, load },
  { type: 'ping', seq: 2 ** 32 - 1, incarnation: 4, load, about: record },
  { type: 'ack', seq: 9, subject: 'n3', incarnation: 2, load },
  { type: 'ack', seq: 9, subject: 'n3', incarnation: 2, load, about: { ...record, status: 'dead' } },
  { type: 'ping', seq: 3, incarnation: 1, load, digest: 0 },
  { type: 'ping', seq: 4, incarnation: 1, load, about: record, digest: 2 ** 32 - 1 },
  { type: 'ack', seq: 9, subject: 'n3', incarnation: 2, load, digest: 123_456_789 },
  { type: 'ping-req', seq: 77, target: 'n999' },
  { type: 'join', incarnation: 3, load },
  { type: 'welcome', part: 0, parts: 2, members: [record, { ...record, peer: 'ünïcode-peer', status: 'alive' }] },
  { type: 'welcome', part: 1, parts: 2, members: [], about: record },
  { type: 'gossip', updates: [record] },
  { type: 'pull', buckets: Array.from({ length: 64 }, (_, i) => i === 0 ? 2 ** 32 - 1 : i * 1_000_003) }
]

test('every membership message survives an encode/decode round trip', t => {
  for (const message of samples) t.deepEqual(membershipCodec.decode(membershipCodec.encode(message)), message, message.type)
})

test('a frame starts with the wire version and a type tag', t => {
  const bytes = membershipCodec.encode({ type: 'ping-req', seq: 1, target: 'n1' })
  t.is(bytes[0], membershipCodec.version)
  t.is(bytes[1], 3)
})

test('malformed input is rejected with a named error', t => {
  const good = membershipCodec.encode({ type: 'ping', seq: 2, incarnation: 4, load, about: record, digest: 7 })
  t.throws(() => membershipCodec.decode(new Uint8Array(0)), { instanceOf: MalformedMessageError })
  t.throws(() => membershipCodec.decode(good.subarray(0, good.length - 3)), { instanceOf: MalformedMessageError })
  t.throws(() => membershipCodec.decode(Uint8Array.of(...good, 0)), { instanceOf: MalformedMessageError, message: /trailing/ })
  t.throws(() => membershipCodec.decode(Uint8Array.of(2, ...good.subarray(1))), { instanceOf: UnsupportedVersionError })
  t.throws(() => membershipCodec.decode(Uint8Array.of(1, 42)), { instanceOf: MalformedMessageError, message: /unknown membership message type 42/ })
  t.throws(() => membershipCodec.decode(Uint8Array.of(1, 3, 1, 2, 0xc3, 0x28)), { instanceOf: MalformedMessageError, message: /UTF-8/ })
  t.throws(() => membershipCodec.decode(Uint8Array.of(1, 3, 1, 0)), { instanceOf: MalformedMessageError, message: /empty/ })
  t.throws(() => membershipCodec.decode(Uint8Array.of(1, 5, 2, 2, 0, 0)), { instanceOf: MalformedMessageError, message: /part 2 of 2/ })
  const badStatus = Uint8Array.of(1, 6, 1, 2, 0x6e, 0x31, 9, 0, 0, 0, 0, 0)
  t.throws(() => membershipCodec.decode(badStatus), { instanceOf: MalformedMessageError, message: /status/ })
})

test('oversized input and oversized messages are refused', t => {
  t.throws(() => membershipCodec.decode(new Uint8Array(MEMBERSHIP_MAX_BYTES + 1)), { instanceOf: MessageTooLargeError })
  const tooMany = Array.from({ length: MAX_RECORDS_PER_MESSAGE + 1 }, (_, i) => ({ ...record, peer: `n${i}` }))
  t.throws(() => membershipCodec.encode({ type: 'gossip', updates: tooMany }), { instanceOf: CodecError })
  const longId = 'x'.repeat(200)
  const bytes = membershipCodec.encode({ type: 'ping-req', seq: 1, target: 'n1' })
  const forged = Uint8Array.of(...bytes.subarray(0, 3), 200, 1, ...new TextEncoder().encode(longId))
  t.throws(() => membershipCodec.decode(forged), { instanceOf: MalformedMessageError, message: /over its limit/ })
})

test('random bytes never crash the decoder: they decode or throw a CodecError', t => {
  const seed = 2024
  const random = new Xoshiro128(seed)
  let rejected = 0
  for (let i = 0; i < 5000; i++) {
    const bytes = new Uint8Array(random.nextInt(64))
    for (let j = 0; j < bytes.length; j++) bytes[j] = random.nextInt(256)
    if (bytes.length > 0 && random.nextFloat() < 0.5) bytes[0] = 1
    try {
      membershipCodec.decode(bytes)
    } catch (err) {
      t.true(err instanceof CodecError, `seed ${seed} input ${i}: ${String(err)}`)
      rejected++
    }
  }
  t.true(rejected > 4000, `seed ${seed}: only ${rejected} of 5000 random inputs rejected`)
})

test('the digest is the optional last field of a ping or ack: without it the message still decodes, past 32 bits it is refused', t => {
  const plain = membershipCodec.encode({ type: 'ping', seq: 1, incarnation: 0, load })
  const withDigest = membershipCodec.encode({ type: 'ping', seq: 1, incarnation: 0, load, digest: 5 })
  t.is(withDigest.length, plain.length + 1)
  t.deepEqual(membershipCodec.decode(plain), { type: 'ping', seq: 1, incarnation: 0, load })
  t.throws(() => membershipCodec.decode(Uint8Array.of(...plain, 0x80, 0x80, 0x80, 0x80, 0x10)), { instanceOf: MalformedMessageError, message: /over its limit/ })
})
