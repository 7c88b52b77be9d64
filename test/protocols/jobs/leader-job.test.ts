import test from 'ava'
import { JobsCommandQueue } from '../../../protocols/jobs/commands.js'
import { DEFAULT_JOBS_CONFIG } from '../../../protocols/jobs/config.js'
import { LeaderJob } from '../../../protocols/jobs/leader-job.js'
import type { JobsMessage, UnitSpec, WorkerSlots } from '../../../protocols/jobs/messages.js'
import { sha256 } from '../../../sim/sha256.js'

/**
 * A leader of job J (submitter S) with four independent units U0..U3 and two one-slot workers V and W (`ack` may list
 * more: bidders that came later); `handedOut()` returns the assignments sent since the last call, as `worker:unit`.
 */
function leaderOfFourUnits (): { job: LeaderJob, ack: (at: number, later?: WorkerSlots[]) => void, handedOut: () => string[], sent: Array<{ to: string, message: JobsMessage }> } {
  const sent: Array<{ to: string, message: JobsMessage }> = []
  const ctx = {
    self: 'L', config: { ...DEFAULT_JOBS_CONFIG, speculation: false }, commands: new JobsCommandQueue(), view: undefined, sha256,
    wire: { send: (to: string, message: JobsMessage) => { sent.push({ to, message }) }, publish: () => {} }
  }
  const units: UnitSpec[] = [0, 1, 2, 3].map(i => ({ id: `U${i}`, dependsOn: [], cost: 1000, payload: '' }))
  const workers: WorkerSlots[] = [{ peer: 'V', slots: 1, usPerCost: 0 }, { peer: 'W', slots: 1, usPerCost: 0 }]
  const job = new LeaderJob(ctx, 'J', 1, 'S', { type: 'grant', jobId: 'J', term: 1, units, done: [], workers }, 0)
  const ack = (at: number, later: WorkerSlots[] = []): void => { job.onLeaseAck({ type: 'lease-ack', jobId: 'J', term: 1, at, workers: [...workers, ...later] }, at) }
  const handedOut = (): string[] => sent.splice(0).flatMap(({ to, message }) => message.type === 'assign' ? message.tickets.map(t => `${to}:${t.unitId}`) : [])
  return { job, ack, handedOut, sent }
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

test('a unit stolen from a worker is not handed out again when the victim\'s report arrives before the thief\'s', t => {
  const { job, ack, handedOut } = leaderOfFourUnits()
  ack(0)
  t.deepEqual(handedOut().sort(), ['V:U0', 'V:U2', 'W:U1', 'W:U3'])
  ack(1500, [{ peer: 'T', slots: 1, usPerCost: 0 }]) // T bid too: the submitter lists it
  job.onHeld('V', ['U0'], 2000) // thief T took U2 from V's queue; V's report comes first (one hop, T's two)
  t.deepEqual(handedOut(), [], 'U2 is not requeued at the first report that leaves it out')
  job.onHeld('T', ['U2'], 2010)
  job.onHeld('V', ['U0'], 2500)
  t.deepEqual(handedOut(), [], 'T holds it now: still nothing to hand out')
  ack(2600)
  job.onResult('T', 'U2', true, 2700)
  t.is(job.remaining, 3)
})

test('a thief the submitter does not list (it never bid) is not heard: the unit it stole goes back to the queue, and its result does not count', t => {
  const { job, ack, handedOut } = leaderOfFourUnits()
  ack(0)
  t.deepEqual(handedOut().sort(), ['V:U0', 'V:U2', 'W:U1', 'W:U3'])
  ack(1500)
  job.onHeld('V', ['U0'], 2000) // T took U2 from V's queue
  job.onHeld('T', ['U2'], 2010)
  job.onHeld('V', ['U0'], 2500)
  t.false(job.onResult('T', 'U2', true, 2600), 'the submitter would refuse it (T never bid), and depose this leader for passing it on')
  t.is(job.remaining, 4)
  ack(2700)
  job.onResult('V', 'U0', true, 2800)
  t.deepEqual(handedOut(), ['V:U2'], 'V let go of U2 and no bidder holds it: it runs again')
})

test('a unit a worker keeps leaving out of its reports, and nobody else reports, goes back to the queue', t => {
  const { job, ack, handedOut } = leaderOfFourUnits()
  ack(0)
  handedOut()
  ack(1500)
  job.onHeld('V', ['U0'], 2000)
  job.onHeld('W', ['U1', 'U3'], 2000)
  t.deepEqual(handedOut(), [])
  ack(2500)
  job.onHeld('W', ['U1', 'U3'], 2500)
  job.onHeld('V', ['U0'], 2500)
  job.onResult('V', 'U0', true, 2600)
  t.deepEqual(handedOut(), ['V:U2'], 'V lost U2 (a restart, say): it runs again')
})

test('a worker that reports a unit already done is told so, and the unit is not handed out again', t => {
  const { job, ack, handedOut, sent } = leaderOfFourUnits()
  ack(0)
  t.deepEqual(handedOut().sort(), ['V:U0', 'V:U2', 'W:U1', 'W:U3'])
  wGoesQuiet(job, ack) // W's U1 and U3 go back to the queue
  ack(3300)
  job.onResult('V', 'U0', true, 3300)
  job.onResult('V', 'U2', true, 3310)
  t.deepEqual(handedOut().sort(), ['V:U1', 'V:U3'])
  job.onResult('V', 'U1', true, 3400)
  sent.splice(0)
  job.onHeld('W', ['U1', 'U3'], 3500) // W was only cut off from the leader: it still queues both
  t.deepEqual(sent.map(({ to, message }) => `${to}:${message.type}:${'unitId' in message ? message.unitId : ''}`), ['W:result-ack:U1'], 'W drops U1, done by V')
})

test('a result from this node\'s own worker counts, also of a unit it stole from a worker whose report has not let go of it yet: it is never handed out again', t => {
  const { job, ack, handedOut } = leaderOfFourUnits()
  ack(0)
  t.deepEqual(handedOut().sort(), ['V:U0', 'V:U2', 'W:U1', 'W:U3'])
  job.onHeld('L', ['U0'], 100) // this node's worker stole U0 from V; V's report that it let go is not in yet
  // the submitter records it from this node (a leader) and acknowledges it: its worker lets go of U0
  t.true(job.onResult('L', 'U0', true, 200), 'counted')
  for (let at = 500; at <= 6000; at += 500) {
    ack(at)
    job.onHeld('V', ['U2'], at)
    job.onHeld('W', ['U1', 'U3'], at)
    job.onHeld('L', [], at)
    job.tick(at)
  }
  t.deepEqual(handedOut().filter(h => h.endsWith(':U0')), [], 'U0 is done')
  t.is(job.remaining, 3)
})
