import test from 'ava'
import type { JobsMessage } from '../../../protocols/jobs/index.js'
import { JobsMesh, simpleJob } from './mesh.js'
import { quietConfig } from './farm.js'

type Ticketed = Extract<JobsMessage, { type: 'assign' }>

test('a lease acknowledgement that arrives after the lease ran out makes the old leader hand out nothing', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, quietConfig)
  mesh.add('l', { slots: 4, msPerCost: 1 }, quietConfig) // most free slots: l leads term 1
  mesh.add('w', { slots: 2, msPerCost: 1 }, quietConfig)
  // From 600 ms on, the answer to l's next lease request (sent at 801 ms) is held back, and l's later requests are lost
  let late: JobsMessage | undefined
  mesh.drop = (from, to, m) => {
    if (m.type === 'lease-ack' && to === 'l' && mesh.now >= 600 && late === undefined) {
      late = m
      return true
    }
    return m.type === 'lease' && from === 'l' && late !== undefined
  }
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 1000), mesh.now) })
  mesh.runUntil(4600)
  t.deepEqual(mesh.commandsOf('granted').map(c => (c.command as { leader: string }).leader), ['l', 'w'], 's let l\'s lease lapse and granted term 2 to w')
  if (late === undefined) return t.fail('no lease-ack held back')
  const after = mesh.sent.length
  mesh.forge('s', 'l', late) // 3.8 s late: the lease it would extend ran out at 2801 ms
  mesh.runUntil(4700)
  t.true(mesh.node('l').leadership.get('j')?.remaining !== 0, 'l still had units to hand out')
  const stale = mesh.sent.slice(after).filter(s => s.from === 'l' && s.message.type === 'assign').flatMap(s => (s.message as Ticketed).tickets.map(k => k.term))
  t.deepEqual(stale, [], 'l, without a valid lease, sent no term-1 tickets')
})

test('a leader whose units are all done keeps its lease while a result it passes on has not reached the submitter', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, quietConfig)
  // l leads (most slots) but says it is slow: the one unit runs on w, which the submitter does not take results from
  mesh.add('l', { slots: 4, msPerCost: 1, speedHint: 1000 }, quietConfig)
  mesh.add('w', { slots: 2, msPerCost: 1, speedHint: 0.001 }, quietConfig)
  // l's result passed on to s is lost for 3 s; its lease requests get through
  mesh.drop = (from, to, m) => m.type === 'result' && from === 'l' && to === 's' && mesh.now < 3000
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 500, payload: 'ok:500' }] }, mesh.now) })
  mesh.runUntil(10_000)
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['w'])
  t.true(mesh.sent.some(s => s.from === 'l' && s.message.type === 'lease' && s.message.at > 2000), 'l asked for its lease on while its result was under way')
  t.deepEqual(mesh.commandsOf('granted').map(c => (c.command as { leader: string }).leader), ['l'], 's never let l\'s lease lapse')
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1)
  t.is((completed[0]?.command as { results: ReadonlyMap<string, string> }).results.get('a'), 'a@w')
})
