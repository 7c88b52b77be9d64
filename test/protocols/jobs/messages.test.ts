import test from 'ava'
import { MalformedMessageError, MessageTooLargeError, UnsupportedVersionError } from '../../../protocols/core/index.js'
import { JOBS_MAX_BYTES, JOBS_WIRE_VERSION, MAX_PROOF_HASHES, MAX_TICKETS_PER_MESSAGE, MAX_UNITS, jobsCodec, ticketBatches, ticketBytes } from '../../../protocols/jobs/index.js'
import type { JobsMessage, UnitTicket } from '../../../protocols/jobs/index.js'

const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b)
const ticket = { jobId: 'j1', unitId: 'u1', submitter: 's', leader: 'l', term: 3, dependsOn: ['u0', 'ü'], cost: 40, payload: ':app:compileJava', index: 5, proof: [hash(1), hash(2), hash(3)] }

const samples: JobsMessage[] = [
  { type: 'announce', jobId: 'j1', units: 12, root: hash(7) },
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
  { type: 'stolen', tickets: [ticket, { ...ticket, unitId: 'u2', dependsOn: [], index: 0, proof: [] }] },
  { type: 'leader', jobId: 'j1', term: 4, leader: 'l', units: 12, root: hash(9) },
  { type: 'not-run', jobId: 'j1', unitId: 'b', reason: 'snapshot fetch failed' }
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
  t.throws(() => jobsCodec.decode(Uint8Array.from([JOBS_WIRE_VERSION, 99])), { instanceOf: MalformedMessageError })
  const ended = jobsCodec.encode({ type: 'ended', jobId: 'j', ok: true })
  ended[ended.length - 1] = 2
  t.throws(() => jobsCodec.decode(ended), { instanceOf: MalformedMessageError })
  t.throws(() => jobsCodec.decode(jobsCodec.encode({ type: 'announce', jobId: 'x', units: 1, root: hash(1) }).fill(0, 2)), { instanceOf: MalformedMessageError })
})

test('commitments and proofs are range-checked: a job of no units, a proof longer than the deepest tree, an index past the last unit, a hash of the wrong size', t => {
  const announce = jobsCodec.encode({ type: 'announce', jobId: 'x', units: 1, root: hash(1) })
  announce[4] = 0 // units
  t.throws(() => jobsCodec.decode(announce), { instanceOf: MalformedMessageError, message: /no units/ })
  t.throws(() => jobsCodec.decode(jobsCodec.encode({ type: 'leader', jobId: 'x', term: 1, leader: 'l', units: 1, root: hash(1) }).slice(0, -1)), { instanceOf: MalformedMessageError })
  const deepest = Array.from({ length: MAX_PROOF_HASHES }, (_, i) => hash(i))
  t.is((jobsCodec.decode(jobsCodec.encode({ type: 'assign', tickets: [{ ...ticket, proof: deepest }] })) as unknown as { tickets: UnitTicket[] }).tickets[0]?.proof.length, MAX_PROOF_HASHES)
  t.throws(() => jobsCodec.decode(jobsCodec.encode({ type: 'assign', tickets: [{ ...ticket, proof: [...deepest, hash(0)] }] })), { instanceOf: MalformedMessageError })
  t.throws(() => jobsCodec.decode(jobsCodec.encode({ type: 'assign', tickets: [{ ...ticket, index: MAX_UNITS }] })), { instanceOf: MalformedMessageError })
  t.throws(() => jobsCodec.encode({ type: 'assign', tickets: [{ ...ticket, proof: [new Uint8Array(31)] }] }), { instanceOf: MalformedMessageError })
  t.throws(() => jobsCodec.encode({ type: 'announce', jobId: 'x', units: 1, root: new Uint8Array(33) }), { instanceOf: MalformedMessageError })
})

test('tickets go out in batches that fit a message: by count, and by bytes for units with many dependencies', t => {
  const plain = Array.from({ length: 300 }, (_, i) => ({ ...ticket, unitId: `u${i}` }))
  t.deepEqual(ticketBatches(plain).map(b => b.length), [MAX_TICKETS_PER_MESSAGE, MAX_TICKETS_PER_MESSAGE, 300 - 2 * MAX_TICKETS_PER_MESSAGE])
  const deps = Array.from({ length: 2000 }, (_, i) => `:project-${String(i).padStart(40, '0')}:assemble`)
  const heavy = Array.from({ length: 40 }, (_, i) => ({ ...ticket, unitId: `u${i}`, dependsOn: deps, proof: Array.from({ length: MAX_PROOF_HASHES }, () => hash(i)) }))
  const batches = ticketBatches(heavy)
  t.true(batches.length > 1)
  t.is(batches.flat().length, 40)
  for (const batch of batches) {
    const bytes = jobsCodec.encode({ type: 'assign', tickets: batch })
    t.true(bytes.length <= JOBS_MAX_BYTES)
    t.is(batch.reduce((n, x) => n + ticketBytes(x), 0) + 3, bytes.length, 'ticketBytes is the exact encoded size')
  }
})

test('another wire version and oversized input are refused with their own errors: version 1 (before commitments) too', t => {
  const bytes = jobsCodec.encode({ type: 'steal', want: 1 })
  bytes[0] = 9
  t.throws(() => jobsCodec.decode(bytes), { instanceOf: UnsupportedVersionError })
  bytes[0] = 1
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
