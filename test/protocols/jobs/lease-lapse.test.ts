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
