import test from 'ava'
import { MessageTooLargeError } from '../../../protocols/core/index.js'
import { InvalidJobError, JobTooLargeError, jobsCodec } from '../../../protocols/jobs/index.js'
import type { JobsMessage, UnitSpec } from '../../../protocols/jobs/index.js'
import { JobsCommandQueue } from '../../../protocols/jobs/commands.js'
import { DEFAULT_JOBS_CONFIG } from '../../../protocols/jobs/config.js'
import { Submitter } from '../../../protocols/jobs/submitter.js'
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
    self: 's', config: DEFAULT_JOBS_CONFIG, commands, view: undefined,
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
