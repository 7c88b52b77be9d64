import test from 'ava'
import { casFrameCodec, fetchResponseHeader, recordFromStored, recordProof, verifyRecord } from '../../../protocols/cache/index.js'
import type { StoredEntry } from '../../../protocols/cache/index.js'
import { recordBy, sha256Of, verifyFake } from './helpers.js'

/** What src/cas keeps for an entry a peer fetched: key, hash, size, producer and the proof string. */
function storedFrom (record: ReturnType<typeof recordBy>): StoredEntry {
  return { key: record.gradleKey, sha256: record.sha256, size: record.size, producer: record.producer, signature: recordProof(record) }
}

test('a record kept in the store\'s producer and signature fields comes back byte for byte and still verifies', t => {
  const record = recordBy('ci-1', 12)
  const proof = recordProof(record)
  t.regex(proof, /^1:\d+:[0-9a-f]{64}$/)
  const back = recordFromStored(storedFrom(record))
  t.deepEqual(back, record)
  if (back !== undefined) t.true(verifyRecord(back, verifyFake))
})

test('an entry without a record, or with a garbled proof, has no record', t => {
  const record = recordBy('ci-1', 12)
  const { producer: _producer, ...withoutProducer } = storedFrom(record)
  t.is(recordFromStored(withoutProducer), undefined)
  t.is(recordFromStored({ ...storedFrom(record), signature: 'bm90IGEgcHJvb2Y=' }), undefined)
  t.is(recordFromStored({ ...storedFrom(record), signature: '1:12:abc' }), undefined, 'odd number of hex digits')
  t.is(recordFromStored({ ...storedFrom(record), producer: 'bad producer' }), undefined)
})

test('a node answers a fetch by key with the producer\'s record, and never shares an unsigned entry by key', t => {
  const record = recordBy('ci-1', 3)
  const found = casFrameCodec.decode(fetchResponseHeader('key', storedFrom(record)))
  t.deepEqual(found, { type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })

  const unsigned: StoredEntry = { key: record.gradleKey, sha256: sha256Of('local only'), size: 5 }
  t.deepEqual(casFrameCodec.decode(fetchResponseHeader('key', unsigned)), { type: 'fetch-response', status: 'missing' })
  t.deepEqual(casFrameCodec.decode(fetchResponseHeader('sha256', unsigned)), { type: 'fetch-response', status: 'found', sha256: unsigned.sha256, size: 5 }, 'by hash the bytes speak for themselves')
  t.deepEqual(casFrameCodec.decode(fetchResponseHeader('key', undefined)), { type: 'fetch-response', status: 'missing' })
  t.deepEqual(casFrameCodec.decode(fetchResponseHeader('key', storedFrom(record), true)), { type: 'fetch-response', status: 'busy' })
})
