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

test('a steal answer that comes after the thief stopped waiting for it is still taken: the units run on the thief, not left idle until their lease runs out', t => {
  const mesh = farm() // s submits; w1 leads, w1 and w2 run the units
  mesh.add('thief', { slots: 2, msPerCost: 1, view: liveView(mesh, 'thief') }, { speculation: false })
  const late: { answer?: Extract<JobsMessage, { type: 'stolen' }>, victim: string, at: number } = { victim: '', at: 0 }
  mesh.drop = (from, to, m: JobsMessage) => {
    if (from === 'thief' && m.type === 'bid') return true // its bid is lost: the leader gives it nothing...
    if (from === 's' && to === 'w2' && m.type === 'leader') mesh.forge('s', 'thief', m) // ...but it hears who leads
    if (late.answer !== undefined || to !== 'thief' || m.type !== 'stolen' || m.tickets.length === 0) return false
    Object.assign(late, { answer: m, victim: from, at: mesh.now }) // the victim let go of these tickets now; they reach the thief late
    return true
  }
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 200), mesh.now) })
  while (late.answer === undefined && mesh.now < 10_000) mesh.runUntil(mesh.now + 5)
  if (late.answer === undefined) return t.fail('the thief never got tickets')
  const units = new Set(late.answer.tickets.map(x => x.unitId))
  mesh.runUntil(late.at + 1500) // past STEAL_ANSWER_WAIT_MS: the thief gave up on this answer
  mesh.forge(late.victim, 'thief', late.answer)
  mesh.runUntil(mesh.now + 1)
  t.is(mesh.verdicts.at(-1)?.verdict, 'accept')
  mesh.runUntil(60_000)
  t.deepEqual(mesh.commandsOf('requeued').filter(c => units.has((c.command as { unitId: string }).unitId)), [], 'the leader did not have to take them back')
  const ranOnThief = new Set(mesh.commandsOf('runUnit').filter(c => c.node === 'thief').map(c => (c.command as { unitId: string }).unitId))
  t.deepEqual([...units].filter(u => !ranOnThief.has(u)), [], 'every late ticket ran on the thief')
  t.true(mesh.node('thief').worker.stolenIn >= units.size)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('stolen tickets from a neighbour this node never asked are ignored', t => {
  const mesh = farm() // w1 leads; w1 and w2 run the units
  mesh.add('idle', { slots: 2, msPerCost: 1, view: liveView(mesh, 'idle') }, quietConfig) // it never asks for work
  const pushed = new Set<string>()
  mesh.drop = (from, to, m: JobsMessage) => {
    if (from === 'idle' && m.type === 'bid') return true // not a bidder: the leader gives it nothing...
    if (from === 's' && to === 'w2' && m.type === 'leader') mesh.forge('s', 'idle', m) // ...but it knows who leads
    if (from === 'w1' && to === 'w2' && m.type === 'assign' && pushed.size === 0) {
      for (const ticket of m.tickets) pushed.add(ticket.unitId)
      mesh.forge('w2', 'idle', { type: 'stolen', tickets: m.tickets })
    }
    return false
  }
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 200), mesh.now) })
  mesh.runUntil(10_000)
  t.true(pushed.size > 0)
  t.is(mesh.node('idle').worker.stolenIn, 0)
  t.deepEqual(mesh.commandsOf('runUnit').filter(c => c.node === 'idle'), [])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})
