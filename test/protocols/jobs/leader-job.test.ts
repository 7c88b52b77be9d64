import test from 'ava'
import { JobsCommandQueue } from '../../../protocols/jobs/commands.js'
import { DEFAULT_JOBS_CONFIG } from '../../../protocols/jobs/config.js'
import { LeaderJob } from '../../../protocols/jobs/leader-job.js'
import type { JobsMessage, UnitSpec, WorkerSlots } from '../../../protocols/jobs/messages.js'

/**
 * A leader of job J (submitter S) with four independent units U0..U3 and two one-slot workers V and W;
 * `handedOut()` returns the assignments sent since the last call, as `worker:unit`.
 */
function leaderOfFourUnits (): { job: LeaderJob, ack: (at: number) => void, handedOut: () => string[] } {
  const sent: Array<{ to: string, message: JobsMessage }> = []
  const ctx = {
    self: 'L', config: { ...DEFAULT_JOBS_CONFIG, speculation: false }, commands: new JobsCommandQueue(), view: undefined,
    wire: { send: (to: string, message: JobsMessage) => { sent.push({ to, message }) }, publish: () => {} }
  }
  const units: UnitSpec[] = [0, 1, 2, 3].map(i => ({ id: `U${i}`, dependsOn: [], cost: 1000, payload: '' }))
  const workers: WorkerSlots[] = [{ peer: 'V', slots: 1, usPerCost: 0 }, { peer: 'W', slots: 1, usPerCost: 0 }]
  const job = new LeaderJob(ctx, 'J', 1, 'S', { type: 'grant', jobId: 'J', term: 1, units, done: [], workers }, 0)
  const ack = (at: number): void => { job.onLeaseAck({ type: 'lease-ack', jobId: 'J', term: 1, at, workers }, at) }
  const handedOut = (): string[] => sent.splice(0).flatMap(({ to, message }) => message.type === 'assign' ? message.tickets.map(t => `${to}:${t.unitId}`) : [])
  return { job, ack, handedOut }
}

/** V reports U0 and U2 every 500 ms while W stays silent past its worker lease: W's U1 and U3 go back to the queue. */
function wGoesQuiet (job: LeaderJob, ack: (at: number) => void): void {
  for (let t = 500; t <= 3000; t += 500) {
    ack(t)
    job.onHeld('V', ['U0', 'U2'], t)
    job.tick(t)
  }
  ack(3200)
  job.tick(3200)
}

test('a unit its worker reports again after a silence is not handed to another worker, nor to the same one twice', t => {
  const { job, ack, handedOut } = leaderOfFourUnits()
  ack(0)
  t.deepEqual(handedOut().sort(), ['V:U0', 'V:U2', 'W:U1', 'W:U3'])
  wGoesQuiet(job, ack)
  t.deepEqual(handedOut(), [], 'requeued, but V is full')
  ack(3300)
  job.onHeld('W', ['U1', 'U3'], 3300) // W was only slow: it still holds both
  ack(3400)
  job.onResult('V', 'U0', true, 3400)
  t.deepEqual(handedOut(), [], 'V\'s free slot gets nothing: every unit left is held')
  ack(3500)
  job.onResult('W', 'U1', true, 3500)
  t.deepEqual(handedOut(), [], 'and W is not sent U3, which it holds, again')
})

test('a unit whose result came in is never handed out again', t => {
  const { job, ack, handedOut } = leaderOfFourUnits()
  ack(0)
  handedOut()
  wGoesQuiet(job, ack)
  ack(3300)
  job.onResult('W', 'U1', true, 3300) // W's result arrives instead of a report
  ack(3400)
  job.onResult('V', 'U0', true, 3400)
  t.deepEqual(handedOut(), ['V:U3'], 'the one unit nobody holds, not the finished U1')
  t.is(job.remaining, 2)
})
