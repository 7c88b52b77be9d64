import test from 'ava'
import { JobsMesh } from './mesh.js'

const config = { stealing: false, speculation: false }

test('a unit cancelled when its job ends keeps its slot until its run exits: the node never runs more units than slots', t => {
  const mesh = new JobsMesh()
  mesh.cancelExitMs = 2000 // a killed Gradle (and its daemon) takes a while to let go
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 2, msPerCost: 1 }, config)
  // job a: `bad` fails fast and ends the job while `long` runs beside it; job b queues behind them
  mesh.input('s', p => { p.submitJob({ jobId: 'a', units: [{ id: 'bad', dependsOn: [], cost: 5000, payload: 'fail:50' }, { id: 'long', dependsOn: [], cost: 5000, payload: 'ok:5000' }] }, mesh.now) })
  mesh.runUntil(100)
  mesh.input('s', p => { p.submitJob({ jobId: 'b', units: ['b1', 'b2', 'b3', 'b4'].map(id => ({ id, dependsOn: [], cost: 1000, payload: 'ok:1000' })) }, mesh.now) })
  mesh.runUntil(1000)
  t.deepEqual(mesh.commandsOf('cancelUnit').map(c => (c.command as { unitId: string }).unitId), ['long'])
  const startedB = (): number => mesh.commandsOf('runUnit').filter(c => (c.command as { jobId: string }).jobId === 'b').length
  t.is(startedB(), 1, 'bad\'s slot went to b; long\'s is still taken')
  t.is(mesh.node('w').load().running, 2)
  mesh.runUntil(10_000)
  t.is(mesh.peakRuns.get('w'), 2, 'long exited before b took its slot')
  t.is(startedB(), 4)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})
