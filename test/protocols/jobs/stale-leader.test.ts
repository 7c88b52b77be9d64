import test from 'ava'
import { JobsMesh } from './mesh.js'

const two = [{ id: 'a', dependsOn: [], cost: 500, payload: 'ok:500' }, { id: 'b', dependsOn: ['a'], cost: 500, payload: 'ok:500' }]
const leases = (mesh: JobsMesh, from: string, after: number): number => mesh.sent.slice(after).filter(s => s.from === from && s.message.type === 'lease').length

test('a leader cut off from everyone while its job finishes under the next term forgets the job, and is quiet once back', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  // l1 leads term 1 (most slots) but says it is slow: every unit goes to l2, and l1, cut off, never hears a result
  mesh.add('l1', { slots: 4, msPerCost: 1, speedHint: 1000 })
  mesh.add('l2', { slots: 2, msPerCost: 1, speedHint: 0.001 })
  let cut = false
  mesh.drop = (from, to) => cut && (from === 'l1' || to === 'l1')
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: two }, mesh.now) })
  mesh.runUntil(600)
  cut = true
  mesh.runUntil(10_000)
  t.deepEqual(mesh.commandsOf('granted').map(c => (c.command as { leader: string }).leader), ['l1', 'l2'])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  t.true(mesh.commandsOf('runUnit').every(c => c.node === 'l2'))
  t.is(mesh.node('l1').leadership.size, 0, 'l1 let go three lease periods after its last acknowledged lease request')
  cut = false
  const healed = mesh.sent.length
  mesh.runUntil(70_000)
  t.is(leases(mesh, 'l1', healed), 0)
})

test('a stale leader that missed the end of its job hears it in answer to its next lease request', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  // l1 leads term 1 (most slots) but says it is slow: every unit goes to l2, and l1, cut off, never hears a result
  mesh.add('l1', { slots: 4, msPerCost: 1, speedHint: 1000 })
  mesh.add('l2', { slots: 2, msPerCost: 1, speedHint: 0.001 })
  let cutUntil = 0
  let endsToL1 = 0
  // cut off for a while, and the gossiped end of the job (the first `ended` to it) is lost
  mesh.drop = (from, to, m) => (mesh.now < cutUntil && (from === 'l1' || to === 'l1')) || (m.type === 'ended' && to === 'l1' && endsToL1++ === 0)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: two }, mesh.now) })
  mesh.runUntil(600)
  cutUntil = 3200 // just past the lapse of l1's lease: the submitter grants term 2 to l2
  mesh.runUntil(3200)
  t.is(mesh.node('l1').leadership.get('j')?.term, 1, 'l1 still leads term 1')
  while (mesh.commandsOf('jobCompleted').length === 0 && mesh.now < 6000) mesh.runUntil(mesh.now + 10)
  const completedAt = mesh.now
  mesh.runUntil(completedAt + 600) // one lease request later, well before l1's own expiry (3 lease periods after 600 ms)
  t.true(completedAt < 5000, `completed at ${completedAt}`)
  t.is(mesh.node('l1').leadership.size, 0, 'the submitter answered l1\'s lease request with `ended`')
  t.true(mesh.sent.some(s => s.from === 's' && s.to === 'l1' && s.message.type === 'ended'))
})

test('a late copy of the grant of a job that is over makes no leader', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('l', { slots: 2, msPerCost: 1 })
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 200, payload: 'ok:200' }] }, mesh.now) })
  mesh.runUntil(5000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  const grant = mesh.sent.find(s => s.message.type === 'grant')?.message
  if (grant === undefined) return t.fail('no grant')
  mesh.forge('s', 'l', grant) // the network delivers it again, late
  const after = mesh.sent.length
  mesh.runUntil(300_000)
  t.is(mesh.node('l').leadership.size, 0)
  t.is(leases(mesh, 'l', after), 0)
})

test('a leader whose submitter is gone forgets the job after three lease periods', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('l', { slots: 2 }) // its units never finish
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: two }, mesh.now) })
  mesh.runUntil(1000)
  t.is(mesh.node('l').leadership.size, 1)
  mesh.down.add('s') // its last acknowledgement reached l after 500 ms (a lease request goes every 500 ms)
  mesh.runUntil(500 + 3 * 2000 - 100)
  t.is(mesh.node('l').leadership.size, 1, 'not before')
  mesh.runUntil(1000 + 3 * 2000 + 200)
  t.is(mesh.node('l').leadership.size, 0)
})
