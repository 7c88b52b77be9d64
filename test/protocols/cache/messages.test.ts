import test from 'ava'
import { CodecError, MalformedMessageError, MessageTooLargeError, UnsupportedVersionError, Xoshiro128 } from '../../../protocols/core/index.js'
import {
  CACHE_MESSAGE_MAX_BYTES, CAS_HEADER_MAX_BYTES, InvalidRecordError, MAX_RECORDS_PER_MESSAGE, TooManyRecordsError,
  announceCodec, casFrameCodec, indexSyncCodec
} from '../../../protocols/cache/index.js'
import type { CasFrame, IndexSyncMessage } from '../../../protocols/cache/index.js'
import { gradleKey, recordBy, sha256Of } from './helpers.js'

test('an announcement batch survives the wire intact', t => {
  const records = [recordBy('ci-1', 1), recordBy('ci-1', 2), recordBy('laptop-7', 3)]
  const decoded = announceCodec.decode(announceCodec.encode({ type: 'announce', records }))
  t.deepEqual(decoded, { type: 'announce', records })
})

test('every CAS stream frame survives the wire intact', t => {
  const record = recordBy('ci-1', 4)
  const frames: CasFrame[] = [
    { type: 'fetch', by: 'key', gradleKey: gradleKey(4) },
    { type: 'fetch', by: 'sha256', sha256: sha256Of('manifest') },
    { type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record },
    { type: 'fetch-response', status: 'found', sha256: sha256Of('manifest'), size: 12 },
    { type: 'fetch-response', status: 'missing' },
    { type: 'fetch-response', status: 'busy' },
    { type: 'push', record },
    { type: 'push-ack', status: 'stored' },
    { type: 'push-ack', status: 'refused' }
  ]
  for (const frame of frames) t.deepEqual(casFrameCodec.decode(casFrameCodec.encode(frame)), frame)
})

test('index sync request and pages survive the wire intact', t => {
  const messages: IndexSyncMessage[] = [
    { type: 'index-request', requestId: 9 },
    { type: 'index-page', requestId: 9, page: 0, last: false, claims: [{ provider: 'n2', record: recordBy('n1', 1), ageMs: 0 }, { provider: 'n3', record: recordBy('n1', 2), ageMs: 3_600_000 }] },
    { type: 'index-page', requestId: 9, page: 1, last: true, claims: [] }
  ]
  for (const m of messages) t.deepEqual(indexSyncCodec.decode(indexSyncCodec.encode(m)), m)
})

test('an index answer cut short says after which key it stopped, and a request may ask for the keys after one; frames without them are unchanged', t => {
  const claims = [{ provider: 'n2', record: recordBy('n1', 1), ageMs: 0 }]
  const request: IndexSyncMessage = { type: 'index-request', requestId: 4, after: 'ab'.repeat(16) }
  const last: IndexSyncMessage = { type: 'index-page', requestId: 4, page: 2, last: true, claims, next: 'cd'.repeat(16) }
  for (const m of [request, last]) t.deepEqual(indexSyncCodec.decode(indexSyncCodec.encode(m)), m)
  const plain = indexSyncCodec.encode({ type: 'index-request', requestId: 4 })
  t.deepEqual([...plain], [1, 1, 4], 'a request without `after` is the 1.2.0 frame')
  const withNext = indexSyncCodec.encode(last)
  const withoutNext = indexSyncCodec.encode({ type: 'index-page', requestId: 4, page: 2, last: true, claims })
  t.deepEqual([...withNext.subarray(0, withoutNext.length)], [...withoutNext], '`next` is a trailing field only')
  t.throws(() => indexSyncCodec.encode({ type: 'index-page', requestId: 4, page: 0, last: false, claims, next: 'cd'.repeat(16) }), { instanceOf: MalformedMessageError })
  const notLast = indexSyncCodec.encode({ type: 'index-page', requestId: 4, page: 0, last: false, claims })
  const smuggled = new Uint8Array([...notLast, 32, ...new TextEncoder().encode('cd'.repeat(16))])
  t.throws(() => indexSyncCodec.decode(smuggled), { instanceOf: MalformedMessageError }, 'only the last page may carry it')
  t.throws(() => indexSyncCodec.encode({ type: 'index-request', requestId: 4, after: 'not a key' }), { instanceOf: MalformedMessageError })
})

test('a batch over the record limit is refused on both ends with TooManyRecordsError', t => {
  const records = Array.from({ length: MAX_RECORDS_PER_MESSAGE + 1 }, (_, i) => recordBy('ci-1', i))
  t.throws(() => announceCodec.encode({ type: 'announce', records }), { instanceOf: TooManyRecordsError })
  const forged = new Uint8Array([1, 1, 0x81, 0x01])
  t.throws(() => announceCodec.decode(forged), { instanceOf: TooManyRecordsError })
})

test('oversized, wrong-version, truncated and trailing-byte messages get their named errors', t => {
  const good = announceCodec.encode({ type: 'announce', records: [recordBy('ci-1', 1)] })
  t.throws(() => announceCodec.decode(new Uint8Array(CACHE_MESSAGE_MAX_BYTES + 1)), { instanceOf: MessageTooLargeError })
  t.throws(() => casFrameCodec.decode(new Uint8Array(CAS_HEADER_MAX_BYTES + 1)), { instanceOf: MessageTooLargeError })
  t.throws(() => announceCodec.decode(Uint8Array.of(2, ...good.subarray(1))), { instanceOf: UnsupportedVersionError })
  t.throws(() => announceCodec.decode(good.subarray(0, good.length - 3)), { instanceOf: MalformedMessageError })
  t.throws(() => announceCodec.decode(Uint8Array.of(...good, 0)), { instanceOf: MalformedMessageError })
  t.throws(() => casFrameCodec.decode(Uint8Array.of(1, 99)), { instanceOf: MalformedMessageError, message: /unknown cas frame type 99/ })
})

test('a record field out of schema inside a valid frame is an InvalidRecordError', t => {
  const bytes = casFrameCodec.encode({ type: 'push', record: recordBy('ci-1', 0xabc) })
  const text = new TextDecoder().decode(bytes)
  const at = text.indexOf(gradleKey(0xabc))
  const tampered = bytes.slice()
  tampered[at] = 'G'.charCodeAt(0)
  t.throws(() => casFrameCodec.decode(tampered), { instanceOf: InvalidRecordError, message: /gradleKey/ })
})

test('a found response that disagrees with its own record is malformed', t => {
  const record = recordBy('ci-1', 1)
  const bytes = casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: sha256Of('something else'), size: record.size, record })
  t.throws(() => casFrameCodec.decode(bytes), { instanceOf: MalformedMessageError, message: /disagrees/ })
})

test('fetch requests with a bad key or hash are refused', t => {
  t.throws(() => casFrameCodec.decode(Uint8Array.of(1, 1, 0, 3, 0x2e, 0x2e, 0x2f)), { instanceOf: MalformedMessageError })
  t.throws(() => casFrameCodec.decode(Uint8Array.of(1, 1, 2)), { instanceOf: MalformedMessageError, message: /neither by key nor by sha256/ })
})

test('random bytes only ever produce codec errors, never anything else', t => {
  const random = new Xoshiro128(20261129)
  let rejected = 0
  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(random.nextInt(300))
    for (let j = 0; j < bytes.length; j++) bytes[j] = random.nextInt(256)
    if (bytes.length > 0 && random.nextInt(2) === 0) bytes[0] = 1
    for (const codec of [announceCodec, casFrameCodec, indexSyncCodec]) {
      try {
        codec.decode(bytes)
      } catch (err) {
        t.true(err instanceof CodecError, String(err))
        rejected++
      }
    }
  }
  t.true(rejected > 8000, `${rejected} of 9000 random inputs rejected`)
})
