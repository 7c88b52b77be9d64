import test from 'ava'
import { JobsMesh, simpleJob } from './mesh.js'

const config = { stealing: false, speculation: false }

test('a unit whose setup fails on one worker is given back and runs on another: the job completes', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('broken', { slots: 2, msPerCost: 1, notRun: true }, config) // it cannot fetch the snapshot, say
  mesh.add('good', { slots: 2, msPerCost: 1 }, config)
  mesh.input('s', p => { p.submitJob(simpleJob('j', 6, 10), mesh.now) })
  mesh.runUntil(10_000)
  t.deepEqual(mesh.commandsOf('jobFailed'), [])
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1)
  t.true([...(completed[0]?.command as { results: ReadonlyMap<string, string> }).results.values()].every(r => r.endsWith('@good')))
  const givenBack = mesh.commandsOf('requeued').filter(c => (c.command as { from: string }).from === 'broken')
  t.true(givenBack.length > 0, 'the leader took the units broken gave back and handed them to good')
})

test('a unit no worker can set up fails the job after three tries, with the last worker\'s report', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('b1', { slots: 1, msPerCost: 1, notRun: true }, config)
  mesh.add('b2', { slots: 1, msPerCost: 1, notRun: true }, config)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(30_000)
  t.is(mesh.commandsOf('runUnit').length, 3)
  const failed = mesh.commandsOf('jobFailed').map(c => c.command as { unitId: string, log: string })
  t.is(failed.length, 1)
  t.regex(failed[0]?.log ?? '', /^a@b[12] at \d+$/)
})

test('a unit given back unrun by the only worker waits out its decline alone: the other ready units still go to that worker', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 1, msPerCost: 1 }, config)
  // `a` is the most critical unit (it goes out first) and its setup fails once on w; the others run 100 ms each
  const units = [{ id: 'a', dependsOn: [], cost: 500, payload: 'flaky:1' }, ...['b', 'c', 'd', 'e'].map(id => ({ id, dependsOn: [], cost: 100, payload: 'ok:100' }))]
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units }, mesh.now) })
  mesh.runUntil(1500)
  const started = mesh.commandsOf('runUnit').map(c => (c.command as { unitId: string }).unitId)
  t.deepEqual(started, ['a', 'b', 'c', 'd', 'e'], 'w ran the others back to back while it declined a')
  mesh.runUntil(10_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1, 'a ran on w once its decline was over')
})

test('a unit no worker can set up fails the job at its third give-back in all, though its leader changed in between', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('b1', { slots: 1, msPerCost: 1, notRun: true }, config) // leads term 1 (equal bids: the smaller id)
  mesh.add('b2', { slots: 1, msPerCost: 1, notRun: true }, config)
  // b1's lease requests are lost from 400 ms to 3 s: once both gave `a` back, s lets b1's lease lapse and grants term 2 to b2
  mesh.drop = (from, _to, m) => from === 'b1' && m.type === 'lease' && mesh.now >= 400 && mesh.now < 3000
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  while (mesh.commandsOf('jobFailed').length === 0 && mesh.now < 30_000) mesh.runUntil(mesh.now + 10)
  t.deepEqual(mesh.commandsOf('granted').map(c => (c.command as { leader: string }).leader), ['b1', 'b2'])
  t.deepEqual(mesh.commandsOf('requeued').map(c => (c.command as { from: string }).from), ['b1', 'b2', 'b1'], 'two give-backs in term 1, one in term 2')
  t.true(mesh.now < 3500, `failed at ${mesh.now} ms: at the third give-back, not after two more`)
  const failed = mesh.commandsOf('jobFailed').map(c => c.command as { jobId: string, unitId: string, log: string })
  t.deepEqual(failed.map(f => [f.jobId, f.unitId]), [['j', 'a']])
  t.regex(failed[0]?.log ?? '', /^a@b1 at \d+$/)
  // b2 ran `a` once more before it heard the job failed (it counts its own term only): that run is cancelled
  mesh.runUntil(30_000)
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['b1', 'b2', 'b1', 'b2'])
  t.deepEqual(mesh.commandsOf('cancelUnit').map(c => c.node), ['b2'])
})

test('a submitter that leads its own job fails it at the third give-back, its own worker\'s and another\'s alike', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 2, msPerCost: 1, notRun: true }, config) // most free slots: it leads
  mesh.add('b1', { slots: 1, msPerCost: 1, notRun: true }, config)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(30_000)
  t.deepEqual(mesh.commandsOf('granted').map(c => (c.command as { leader: string }).leader), ['s'])
  const runs = mesh.commandsOf('runUnit').map(c => c.node)
  t.is(runs.length, 3)
  t.deepEqual([...new Set(runs)].sort(), ['b1', 's'])
  const failed = mesh.commandsOf('jobFailed').map(c => c.command as { unitId: string, log: string })
  t.is(failed.length, 1)
  t.true(failed[0]?.log.startsWith(`a@${runs[2] ?? ''} at `), 'with the last worker\'s report')
  t.deepEqual(mesh.commandsOf('forgedResult'), [])
})

test('a give-back the submitter missed does not leave the job waiting: the unit rests, then goes out again, and the next one fails the job', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('b1', { slots: 1, msPerCost: 1, notRun: true }, config) // leads (equal bids: the smaller id)
  mesh.add('b2', { slots: 1, msPerCost: 1, notRun: true }, config)
  let lost = 0
  mesh.drop = (from, to, m) => from === 'b1' && to === 's' && m.type === 'not-run' && lost++ === 0
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(30_000)
  t.is(lost, 4, 'the first of the four passed on was lost')
  t.is(mesh.commandsOf('runUnit').length, 4)
  t.is(mesh.commandsOf('jobFailed').length, 1)
})
