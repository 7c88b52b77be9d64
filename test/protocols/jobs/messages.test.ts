import test from 'ava'
import { MalformedMessageError, MessageTooLargeError, UnsupportedVersionError } from '../../../protocols/core/index.js'
import { JOBS_MAX_BYTES, jobsCodec } from '../../../protocols/jobs/index.js'
import type { JobsMessage } from '../../../protocols/jobs/index.js'

const ticket = { jobId: 'j1', unitId: 'u1', submitter: 's', leader: 'l', term: 3, cost: 40, payload: ':app:compileJava' }

const samples: JobsMessage[] = [
  { type: 'announce', jobId: 'j1', units: 12 },
  { type: 'ended', jobId: 'j1', ok: false },
  { type: 'bid', jobId: 'j1', slots: 8, free: 3, usPerCost: 1500 },
  { type: 'grant', jobId: 'j1', term: 2, units: [{ id: 'a', dependsOn: [], cost: 5, payload: 'p' }, { id: 'b', dependsOn: ['a'], cost: 7, payload: '' }], done: ['a'], workers: [{ peer: 'w1', slots: 4, usPerCost: 0 }, { peer: 'w2', slots: 1, usPerCost: 2_000_000 }] },
  { type: 'lease', jobId: 'j1', term: 2, at: 123456 },
  { type: 'lease-ack', jobId: 'j1', term: 2, at: 123456, workers: [{ peer: 'w1', slots: 4, usPerCost: 700 }] },
  { type: 'assign', tickets: [ticket] },
  { type: 'held', jobId: 'j1', term: 2, units: ['a', 'b'] },
  { type: 'result', jobId: 'j1', unitId: 'b', ok: true, summary: 'BUILD SUCCESSFUL ✓' },
  { type: 'result-ack', jobId: 'j1', unitId: 'b' },
  { type: 'steal', want: 2 },
  { type: 'stolen', tickets: [ticket, { ...ticket, unitId: 'u2' }] }
]

test('every jobs message survives encode and decode unchanged', t => {
  for (const message of samples) t.deepEqual(jobsCodec.decode(jobsCodec.encode(message)), message)
})

test('truncated messages, trailing bytes, unknown types and bad booleans are rejected', t => {
  for (const message of samples) {
    const bytes = jobsCodec.encode(message)
    t.throws(() => jobsCodec.decode(bytes.subarray(0, bytes.length - 1)), { instanceOf: MalformedMessageError }, message.type)
    t.throws(() => jobsCodec.decode(Uint8Array.from([...bytes, 0])), { instanceOf: MalformedMessageError }, message.type)
  }
  t.throws(() => jobsCodec.decode(Uint8Array.from([1, 99])), { instanceOf: MalformedMessageError })
  const ended = jobsCodec.encode({ type: 'ended', jobId: 'j', ok: true })
  ended[ended.length - 1] = 2
  t.throws(() => jobsCodec.decode(ended), { instanceOf: MalformedMessageError })
  t.throws(() => jobsCodec.decode(jobsCodec.encode({ type: 'announce', jobId: 'x', units: 1 }).fill(0, 2)), { instanceOf: MalformedMessageError })
})

test('another wire version and oversized input are refused with their own errors', t => {
  const bytes = jobsCodec.encode({ type: 'steal', want: 1 })
  bytes[0] = 9
  t.throws(() => jobsCodec.decode(bytes), { instanceOf: UnsupportedVersionError })
  t.throws(() => jobsCodec.decode(new Uint8Array(JOBS_MAX_BYTES + 1)), { instanceOf: MessageTooLargeError })
  const huge = { type: 'assign' as const, tickets: Array.from({ length: 10_000 }, (_, i) => ({ ...ticket, unitId: `u${i}`, payload: 'x'.repeat(200) })) }
  t.throws(() => jobsCodec.encode(huge), { instanceOf: MessageTooLargeError })
})

test('a grant for a 5,000-unit DAG fits in one message', t => {
  const units = Array.from({ length: 5000 }, (_, i) => ({ id: `:project${i}:build`, dependsOn: i === 0 ? [] : [`:project${i - 1}:build`], cost: 1000, payload: '' }))
  const bytes = jobsCodec.encode({ type: 'grant', jobId: 'j', term: 1, units, done: [], workers: [] })
  t.true(bytes.length < JOBS_MAX_BYTES)
  t.is((jobsCodec.decode(bytes) as unknown as { units: unknown[] }).units.length, 5000)
})
