import test from 'ava'
import type { ExecutionContext } from 'ava'
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

/**
 * `farm()` plus a thief that hears who leads but gets no assignments; its first steal answer with tickets is held
 * back and delivered `lateByMs` after the victim sent it (the job: 40 units of `unitCost` ms). Returns the mesh just
 * after the late delivery, the late units, and when they arrived.
 */
function lateStealAnswer (t: ExecutionContext, lateByMs: number, unitCost: number,
  meanwhile?: (mesh: JobsMesh, tickets: Extract<JobsMessage, { type: 'stolen' }>['tickets']) => void): { mesh: JobsMesh, units: Set<string>, arrived: number } | undefined {
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
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, unitCost), mesh.now) })
  while (late.answer === undefined && mesh.now < 10_000) mesh.runUntil(mesh.now + 5)
  if (late.answer === undefined) {
    t.fail('the thief never got tickets')
    return undefined
  }
  mesh.runUntil(late.at + lateByMs) // past STEAL_ANSWER_WAIT_MS: the thief gave up on this answer
  meanwhile?.(mesh, late.answer.tickets)
  mesh.forge(late.victim, 'thief', late.answer)
  const arrived = mesh.now
  mesh.runUntil(mesh.now + 1)
  return { mesh, units: new Set(late.answer.tickets.map(x => x.unitId)), arrived }
}

const unitsOf = (entries: Array<{ command: unknown }>): string[] => entries.map(c => (c.command as { unitId: string }).unitId)

test('a steal answer that comes after the thief stopped waiting for it goes back to the leader at once, unrun, and its units are handed out again', t => {
  const late = lateStealAnswer(t, 1500, 200)
  if (late === undefined) return
  const { mesh, units } = late
  t.is(mesh.verdicts.at(-1)?.verdict, 'accept')
  const givenBack = mesh.sent.filter(s => s.from === 'thief' && s.message.type === 'not-run').map(s => (s.message as { unitId: string }).unitId)
  t.deepEqual(givenBack.sort(), [...units].sort(), 'every late ticket went back at once')
  mesh.runUntil(60_000)
  t.deepEqual(unitsOf(mesh.commandsOf('runUnit').filter(c => c.node === 'thief')).filter(u => units.has(u)), [], 'the thief ran none of them')
  t.is(mesh.node('thief').worker.stolenIn, 0)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('a steal answer that comes after the leader handed its units out again does not run them a second time', t => {
  const late = lateStealAnswer(t, 6000, 2000)
  if (late === undefined) return
  const { mesh, units } = late
  mesh.runUntil(200_000)
  const runs = unitsOf(mesh.commandsOf('runUnit')).filter(u => units.has(u))
  t.deepEqual(runs.sort(), [...units].sort(), 'each late unit ran once, on the worker the leader gave it to')
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('a late steal answer for units the thief got again since (the leader assigned them to it) leaves those running, not given back', t => {
  const late = lateStealAnswer(t, 1500, 2000, (mesh, tickets) => {
    mesh.forge('w1', 'thief', { type: 'assign', tickets }) // the leader handed these units out again: to the thief
    mesh.runUntil(mesh.now + 1)
  })
  if (late === undefined) return
  const { mesh, units } = late
  const givenBack = mesh.sent.filter(s => s.from === 'thief' && s.message.type === 'not-run').map(s => (s.message as { unitId: string }).unitId)
  t.deepEqual(givenBack.filter(u => units.has(u)), [], 'a unit held here is not given back: that would count against it')
  t.true(unitsOf(mesh.commandsOf('runUnit').filter(c => c.node === 'thief')).some(u => units.has(u)), 'the thief runs what it was assigned')
  mesh.runUntil(200_000)
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
