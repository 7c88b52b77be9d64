import test from 'ava'
import { TrustPolicy } from '../../../protocols/cache/trust.js'
import type { JobsMessage } from '../../../protocols/jobs/index.js'
import { farm, quietConfig } from './farm.js'
import { JobsMesh, fakeView, liveView, simpleJob } from './mesh.js'

test('a victim with nothing to give answers a steal at once with no tickets, so the thief can ask another', t => {
  const mesh = farm()
  mesh.forge('thief', 'w1', { type: 'steal', want: 4 })
  mesh.runUntil(10)
  const answers = mesh.sent.filter(s => s.from === 'w1' && s.to === 'thief').map(s => s.message)
  t.deepEqual(answers, [{ type: 'stolen', tickets: [] }])
})

test('a thief that will not run the units it was given (it does not trust their submitter) hands them back at once and counts no steal', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, quietConfig)
  mesh.add('w1', { slots: 2, msPerCost: 1 }, quietConfig) // the only bidder: it leads and runs every unit
  const trustsOthers = new TrustPolicy({ producers: { mode: 'any-member' }, submitters: { mode: 'peers', peers: ['ci'] }, announceOwnPuts: true })
  mesh.add('thief', { slots: 2, msPerCost: 1, trust: trustsOthers, view: liveView(mesh, 'thief') }, { speculation: false })
  const stolenAt = new Map<string, number>()
  mesh.drop = (_from, _to, m: JobsMessage) => {
    if (m.type === 'stolen') for (const ticket of m.tickets) stolenAt.set(ticket.unitId, mesh.now)
    return false
  }
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 200), mesh.now) })
  // how long after it was stolen the leader takes each unit back to hand it out again
  const requeuedAfter: number[] = []
  for (let seen = 0; mesh.now < 10_000;) {
    mesh.runUntil(mesh.now + 5)
    const requeued = mesh.commandsOf('requeued')
    for (; seen < requeued.length; seen++) {
      const { unitId } = requeued[seen]?.command as { unitId: string }
      if (stolenAt.has(unitId)) requeuedAfter.push(mesh.now - (stolenAt.get(unitId) as number))
    }
  }
  t.true(stolenAt.size > 0, 'the thief asked w1 and got tickets')
  t.is(mesh.node('thief').worker.stolenIn, 0, 'none counts as stolen: it ran none')
  t.deepEqual(mesh.commandsOf('runUnit').filter(c => c.node === 'thief'), [])
  t.is(requeuedAfter.length, stolenAt.size)
  t.true(requeuedAfter.every(ms => ms <= 5), `taken back ${requeuedAfter.join(', ')} ms after the steal`)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('a victim whose tickets the thief cannot take (a job it has not heard of) is passed over as one that gave nothing: longer each time', t => {
  const mesh = new JobsMesh()
  mesh.add('thief', { slots: 2, msPerCost: 1, view: fakeView('thief', [{ peer: 'x', queued: 6 }]) }, { speculation: false })
  const ticket = { jobId: 'j', unitId: 'u', submitter: 'x', leader: 'x', term: 1, dependsOn: [], cost: 1, payload: 'ok:1', index: 0, proof: [] }
  mesh.drop = (from, to, m) => {
    if (from === 'thief' && to === 'x' && m.type === 'steal') mesh.forge('x', 'thief', { type: 'stolen', tickets: [ticket] })
    return false
  }
  mesh.runUntil(5000)
  const sentByThief = (type: string): number => mesh.sent.filter(s => s.from === 'thief' && s.message.type === type).length
  t.true(sentByThief('steal') <= 6, `asked x ${sentByThief('steal')} times in 5 s (every 300 ms is 16)`)
  t.is(sentByThief('not-run'), sentByThief('steal'), 'each ticket went back to its leader')
  t.is(mesh.node('thief').worker.stolenIn, 0)
})
