import test from 'ava'
import { JobsMesh, liveView } from './mesh.js'

test('a worker cut off from the leader drops the queued units others finished meanwhile, so no thief runs them again', t => {
  const mesh = new JobsMesh()
  const config = { queueDepthPerSlot: 4, speculation: false }
  mesh.add('s', { slots: 0 }, config)
  mesh.add('a-leader', { slots: 4, msPerCost: 1, speedHint: 10 }, config)
  mesh.add('w1', { slots: 1, msPerCost: 1, speedHint: 0.1, view: liveView(mesh, 'w1') }, config) // says it is fast: gets every unit
  let cut = false
  mesh.drop = (from, to) => cut && from === 'w1' && to === 'a-leader'
  const units = [{ id: 'A', dependsOn: [], cost: 9000, payload: 'ok:12000' }, ...['U1', 'U2', 'U3', 'U4'].map(id => ({ id, dependsOn: [], cost: 6000, payload: 'ok:1000' }))]
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units }, mesh.now) })
  mesh.runUntil(400)
  t.is(mesh.node('w1').worker.queuedCount, 4, 'w1 runs A and queues U1-U4')
  cut = true // w1's reports are lost: the leader takes its units back and runs them itself
  mesh.runUntil(6400)
  t.is(mesh.commandsOf('unitDone').length, 4)
  cut = false
  mesh.runUntil(7000)
  t.is(mesh.node('w1').worker.queuedCount, 0, 'its next report got it told U1-U4 are done')
  mesh.add('thief', { slots: 2, msPerCost: 1, view: liveView(mesh, 'thief') }, config)
  mesh.runUntil(40_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  const runs = mesh.commandsOf('runUnit').map(c => (c.command as { unitId: string }).unitId)
  for (const id of ['U1', 'U2', 'U3', 'U4']) t.is(runs.filter(r => r === id).length, 1, id)
})
