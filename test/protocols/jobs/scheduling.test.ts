import test from 'ava'
import { InvalidJobError, JOBS_TOPIC, UnitTree } from '../../../protocols/jobs/index.js'
import { sha256 } from '../../../sim/sha256.js'
import { JobsMesh, fakeView, simpleJob } from './mesh.js'

test('a dead worker\'s units go back to the queue and the job still completes', t => {
  const mesh = new JobsMesh()
  const config = { stealing: false, speculation: false }
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w1', { slots: 4, msPerCost: 1 }, config)
  mesh.add('w2', { slots: 2, msPerCost: 1 }, config)
  mesh.input('s', p => { p.submitJob(simpleJob('j', 30, 100), mesh.now) })
  mesh.runUntil(450)
  mesh.down.add('w2')
  mesh.runUntil(30_000)
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1)
  const results = (completed[0]?.command as { results: ReadonlyMap<string, string> }).results
  t.true([...results.values()].every(v => v.endsWith('@w1') || v.endsWith('@w2')))
  const lostOnW2 = mesh.commandsOf('runUnit').filter(c => c.node === 'w2').map(c => (c.command as { unitId: string }).unitId)
  t.true(lostOnW2.length > 0)
  for (const id of lostOnW2) t.true(results.has(id), `${id} was rerun elsewhere`)
  const requeued = mesh.commandsOf('requeued').map(c => c.command as { unitId: string, from: string })
  t.true(requeued.length > 0 && requeued.every(r => r.from === 'w2'), 'the leader says which units it took back from w2')
})

test('a failing unit is reported once with its log and ends the job', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('w1', { slots: 2, msPerCost: 1 })
  mesh.add('w2', { slots: 2, msPerCost: 1 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 12, 10, new Set(['u3', 'u5'])), mesh.now) })
  mesh.runUntil(10_000)
  const failed = mesh.commandsOf('jobFailed')
  t.is(failed.length, 1)
  t.regex((failed[0]?.command as { log: string }).log, /^u[35]@w[12]$/)
  t.is(mesh.commandsOf('jobCompleted').length, 0)
  t.true(mesh.sent.some(s => s.message.type === 'ended' && !s.message.ok))
})

test('when a unit fails, the units still running elsewhere are cancelled on their workers', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('w1', { slots: 2, msPerCost: 1 })
  mesh.add('w2', { slots: 2, msPerCost: 1 })
  const units = [
    { id: 'bad', dependsOn: [], cost: 5, payload: 'fail:5' },
    ...['l1', 'l2', 'l3'].map(id => ({ id, dependsOn: [], cost: 5000, payload: 'ok:5000' }))
  ]
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units }, mesh.now) })
  mesh.runUntil(3000)
  t.is(mesh.commandsOf('jobFailed').length, 1)
  const started = mesh.commandsOf('runUnit').filter(c => (c.command as { unitId: string }).unitId !== 'bad')
  const cancelled = mesh.commandsOf('cancelUnit')
  t.true(started.length > 0)
  t.deepEqual(
    cancelled.map(c => `${c.node}/${(c.command as { unitId: string }).unitId}`).sort(),
    started.map(c => `${c.node}/${(c.command as { unitId: string }).unitId}`).sort())
})

test('a cancelled job ends everywhere: its submitter\'s own slots and the other workers stop its units', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 2, msPerCost: 1 })
  mesh.add('w1', { slots: 2, msPerCost: 1 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 8, 5000), mesh.now) })
  mesh.runUntil(2000)
  const started = mesh.commandsOf('runUnit').map(c => `${c.node}/${(c.command as { unitId: string }).unitId}`).sort()
  t.deepEqual(new Set(started.map(s => s.split('/')[0])), new Set(['s', 'w1']))
  let cancelled = false
  mesh.input('s', p => { cancelled = p.cancelJob('j', mesh.now) })
  mesh.runUntil(3000)
  t.true(cancelled)
  t.deepEqual(mesh.commandsOf('cancelUnit').map(c => `${c.node}/${(c.command as { unitId: string }).unitId}`).sort(), started)
  t.is(mesh.commandsOf('jobCompleted').length + mesh.commandsOf('jobFailed').length, 0)
})

test('the submitter reports every term it grants, with the leader', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('w1', { slots: 2, msPerCost: 1 })
  mesh.add('w2', { slots: 4, msPerCost: 1 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 20, 50), mesh.now) })
  mesh.runUntil(400)
  mesh.down.add('w2')
  mesh.runUntil(20_000)
  const granted = mesh.commandsOf('granted').map(c => ({ node: c.node, ...(c.command as { term: number, leader: string }) }))
  t.deepEqual(granted.map(g => [g.node, g.term, g.leader]), [['s', 1, 'w2'], ['s', 2, 'w1']])
})

test('a straggler gets a speculative copy and the first result wins', t => {
  const mesh = new JobsMesh()
  const config = { stealing: false, speculationSlackMs: 200 }
  mesh.add('s', { slots: 0 }, config)
  mesh.add('slow', { slots: 1, msPerCost: 100 }, config)
  mesh.add('fast', { slots: 1, msPerCost: 1 }, config)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }, { id: 'b', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(5000)
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1, 'done long before the slow copy (1,000 ms) would finish')
  t.true(mesh.now >= 5000)
  const results = (completed[0]?.command as { results: ReadonlyMap<string, string> }).results
  t.deepEqual([...results.values()].map(v => v.split('@')[1]), ['fast', 'fast'])
  t.true(mesh.commandsOf('runUnit').filter(c => c.node === 'slow').length >= 1)
})

test('an idle worker steals half of the busiest neighbour\'s queue', t => {
  const mesh = new JobsMesh()
  const busyVictim = fakeView('thief', [{ peer: 'victim', queued: 6 }])
  mesh.add('victim', { slots: 1 }, { speculation: false })
  mesh.add('thief', { slots: 2, view: busyVictim }, { speculation: false })
  const units = Array.from({ length: 7 }, (_, i) => ({ id: `u${i}`, dependsOn: [], cost: 1, payload: '' }))
  const tree = new UnitTree(sha256, units)
  const tickets = units.map((u, i) => ({ jobId: 'j', unitId: u.id, submitter: 'victim', leader: 'victim', term: 1, dependsOn: [], cost: 1, payload: '', index: i, proof: tree.proof(i) }))
  // both know job j from its submitter (the victim itself here), which leads it for term 1: workers take tickets of such jobs only
  for (const node of ['victim', 'thief']) mesh.node(node).book.confirm('victim', 'j', 1, 'victim', tree.commitment)
  mesh.input('victim', p => { p.worker.take('victim', tickets, true, mesh.now) })
  t.is(mesh.node('victim').worker.queuedCount, 6)
  mesh.runUntil(1000)
  t.is(mesh.node('victim').worker.queuedCount, 3)
  t.is(mesh.node('thief').worker.runningCount, 2)
  t.is(mesh.node('thief').worker.queuedCount, 1)
  const stolen = mesh.sent.find(s => s.message.type === 'stolen')
  t.deepEqual(stolen?.message.type === 'stolen' ? stolen.message.tickets.map(x => x.unitId) : [], ['u4', 'u5', 'u6'])
})

test('a bad DAG is refused at submission and nothing is announced', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  t.throws(() => { mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: ['a'], cost: 1, payload: '' }] }, 0) }) }, { instanceOf: InvalidJobError })
  t.false(mesh.sent.some(s => s.message.type === 'announce'))
})

test('random bytes on the jobs topic are rejected without throwing', t => {
  const mesh = new JobsMesh()
  const p = mesh.add('w', { slots: 1 })
  t.is(p.onMessage('x', JOBS_TOPIC, Uint8Array.from([2, 7, 200, 200, 200]), 0), 'reject')
  t.is(p.onMessage('x', JOBS_TOPIC, new Uint8Array(0), 0), 'reject')
  t.is(p.rejected, 2)
})

test('a worker that missed the gossiped end of a job hears of it with its next result and cancels the rest of its queue', t => {
  const mesh = new JobsMesh()
  const config = { stealing: false, speculation: false }
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w1', { slots: 1, msPerCost: 1 }, config)
  mesh.add('w2', { slots: 1, msPerCost: 1 }, config)
  let endsToW2 = 0
  mesh.drop = (_from, to, message) => message.type === 'ended' && to === 'w2' && endsToW2++ === 0 // w2 is cut off when the end is gossiped
  // equal costs: every unit is critical, so each worker holds one running and one queued; 'bad' goes first and fails fast
  const units = [{ id: 'bad', dependsOn: [], cost: 100, payload: 'fail:5' }, ...Array.from({ length: 12 }, (_, i) => ({ id: `l${i}`, dependsOn: [], cost: 100, payload: 'ok:100' }))]
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units }, mesh.now) })
  mesh.runUntil(10_000)
  t.is(mesh.commandsOf('jobFailed').length, 1)
  t.is(endsToW2, 2, 'the gossiped end was lost; it came again, sent to w2 with the acknowledgement of its result')
  const onW2 = (kind: 'runUnit' | 'cancelUnit'): string[] => mesh.commandsOf(kind).filter(c => c.node === 'w2').map(c => (c.command as { unitId: string }).unitId)
  const finishedOnW2 = mesh.sent.filter(m => m.from === 'w2' && m.to === 's' && m.message.type === 'result').length
  t.is(finishedOnW2, 1, 'w2 finished the unit it was running when the job ended')
  t.is(onW2('runUnit').length, 2)
  t.deepEqual(onW2('cancelUnit'), onW2('runUnit').slice(1), 'and cancelled the one it had taken from its queue since')
})

test('a job nobody accepts to run ends as abandoned after a minute, with the reason, instead of waiting forever', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 })
  mesh.add('laptop', { slots: 0 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(59_000)
  t.deepEqual(mesh.commandsOf('jobAbandoned'), [])
  mesh.runUntil(61_000)
  const abandoned = mesh.commandsOf('jobAbandoned').map(c => c.command as { jobId: string, reason: string })
  t.is(abandoned.length, 1)
  t.regex(abandoned[0]!.reason, /no live node that accepts builds answered for 60 s/)
  t.true(mesh.sent.some(s => s.message.type === 'ended' && !s.message.ok), 'the mesh hears the job is over')
  const announces = mesh.sent.filter(s => s.from === 's' && s.to === 'laptop' && s.message.type === 'announce').length
  t.true(announces >= 55 && announces <= 62, `re-announced about once a second while waiting (${announces})`)
})

test('a bid from a node membership no longer knows (dead for long, then forgotten) is not granted: the job ends as abandoned', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: fakeView('s', []) }) // the submitter's membership has forgotten w
  mesh.add('w', { slots: 2, msPerCost: 1 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(61_000)
  t.true(mesh.sent.some(s => s.from === 'w' && s.message.type === 'bid'), 'w bid')
  t.deepEqual(mesh.commandsOf('granted'), [], 'but was never granted a term')
  t.is(mesh.commandsOf('jobAbandoned').length, 1)
})

test('a stopping node starts no unit: one that finishes while it stops leaves the next one queued', t => {
  const mesh = new JobsMesh()
  const config = { stealing: false, speculation: false }
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 1, msPerCost: 1 }, config)
  const units = Array.from({ length: 8 }, (_, i) => ({ id: `u${i}`, dependsOn: [], cost: 100, payload: 'ok:100' }))
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units }, mesh.now) })
  mesh.runUntil(350)
  t.deepEqual([mesh.node('w').worker.runningCount, mesh.node('w').worker.queuedCount], [1, 1])
  const started = mesh.commandsOf('runUnit').length
  mesh.input('w', p => { p.stop(mesh.now) }) // the driver still waits for its farewell, and for its runs to end
  mesh.runUntil(1000) // the running unit finishes meanwhile
  t.is(mesh.commandsOf('runUnit').length, started)
})
