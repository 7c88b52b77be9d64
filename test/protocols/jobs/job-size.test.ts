import test from 'ava'
import { MessageTooLargeError } from '../../../protocols/core/index.js'
import { assertGrantFits, InvalidJobError, JOBS_MAX_BYTES, JobTooLargeError, MAX_PROOF_HASHES, MAX_UNITS, jobsCodec, ticketBatches } from '../../../protocols/jobs/index.js'
import { MAX_COUNT, MAX_ID_BYTES } from '../../../protocols/jobs/messages.js'
import type { JobsMessage, UnitSpec } from '../../../protocols/jobs/index.js'
import { JobsCommandQueue } from '../../../protocols/jobs/commands.js'
import { DEFAULT_JOBS_CONFIG } from '../../../protocols/jobs/config.js'
import { Submitter } from '../../../protocols/jobs/submitter.js'
import { sha256 } from '../../../sim/sha256.js'
import { JobsMesh } from './mesh.js'

/** 4,000 units of ~290-byte payloads: within MAX_UNITS and the payload limit, but a grant of them is over 1 MiB. */
function bigJob (jobId: string): { jobId: string, units: UnitSpec[] } {
  const units = Array.from({ length: 4000 }, (_, i) => ({ id: `unit-${String(i).padStart(11, '0')}`, dependsOn: i > 0 ? [`unit-${String(i - 1).padStart(11, '0')}`] : [], cost: 1, payload: 'p'.repeat(289) }))
  return { jobId, units }
}

test('a job whose grant would not fit in one message is refused at submission, with the sizes, and nothing is announced', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('w', { slots: 4 })
  const error = t.throws(() => { mesh.input('s', p => { p.submitJob(bigJob('big'), mesh.now) }) }, { instanceOf: JobTooLargeError })
  t.true(error instanceof InvalidJobError)
  t.regex(error?.message ?? '', /job big is too large to hand to a leader: its grant would take \d+ bytes, over the \d+-byte limit of one jobs message/)
  t.false(mesh.sent.some(s => s.message.type === 'announce'))
})

test('a job whose grant cannot be sent ends as abandoned with the reason, and the node\'s other jobs go on', t => {
  const sent: JobsMessage[] = []
  const commands = new JobsCommandQueue()
  const submitter = new Submitter({
    self: 's', config: DEFAULT_JOBS_CONFIG, commands, view: undefined, sha256,
    wire: {
      send: (_to, m) => {
        if (m.type === 'grant' && m.jobId === 'a') throw new MessageTooLargeError(2_000_000, 1_048_576)
        sent.push(m)
        jobsCodec.encode(m)
      },
      publish: m => { sent.push(m) }
    }
  })
  for (const jobId of ['a', 'b']) {
    submitter.submit({ jobId, units: [{ id: 'u', dependsOn: [], cost: 1, payload: '' }] }, undefined, 0)
    submitter.onBid('w', { type: 'bid', jobId, slots: 1, free: 1, usPerCost: 0 })
  }
  submitter.tick(DEFAULT_JOBS_CONFIG.bidWindowMs)
  const out = commands.drain()
  t.deepEqual(out.filter(c => c.kind === 'jobAbandoned').map(c => c.jobId), ['a'])
  t.regex((out.find(c => c.kind === 'jobAbandoned') as { reason: string }).reason, /grant could not be sent to a leader: message of 2000000 bytes is over the limit/)
  t.deepEqual(out.filter(c => c.kind === 'granted').map(c => c.jobId), ['b'])
  t.true(sent.some(m => m.type === 'grant' && m.jobId === 'b'))
})

test('a job that passes the grant check has no unit whose ticket (with the deepest proof) would not fit in one message', t => {
  // the last unit depends on every other one: its ticket is as large as a ticket of this job gets
  const id = (i: number): string => `:project-${String(i).padStart(45, '0')}:assemble`
  const units = Array.from({ length: 4000 }, (_, i) => ({ id: id(i), dependsOn: i === 3999 ? Array.from({ length: 3999 }, (_, k) => id(k)) : [], cost: 1, payload: 'p'.repeat(10) }))
  const job = { jobId: 'x'.repeat(MAX_ID_BYTES), units }
  t.notThrows(() => { assertGrantFits(job) })
  const last = units[3999] as UnitSpec
  const ticket = { jobId: job.jobId, unitId: last.id, submitter: 'p'.repeat(MAX_ID_BYTES), leader: 'l'.repeat(MAX_ID_BYTES), term: MAX_COUNT, dependsOn: last.dependsOn, cost: last.cost, payload: last.payload, index: MAX_UNITS - 1, proof: Array.from({ length: MAX_PROOF_HASHES }, () => new Uint8Array(32)) }
  const batches = ticketBatches([ticket, ticket, ticket, ticket, ticket, ticket])
  t.true(batches.length >= 2, 'six of them do not fit together')
  for (const batch of batches) t.true(jobsCodec.encode({ type: 'assign', tickets: batch }).length <= JOBS_MAX_BYTES)
})
