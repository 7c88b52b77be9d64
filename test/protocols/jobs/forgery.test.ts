import test from 'ava'
import type { JobsMessage, ResultClaim } from '../../../protocols/jobs/index.js'
import { JobsMesh, simpleJob } from './mesh.js'
import { farm, quietConfig as config } from './farm.js'

/**
 * Peer x is a member of the mesh that lies: it is not a node of the test mesh, only a sender of forged messages.
 * Every check is on `from`, which the driver authenticates (gossip: the signed author; streams: the remote peer).
 */


const leaderOf = (mesh: JobsMesh): string => (mesh.commandsOf('granted')[0]?.command as { leader: string }).leader
const resultsOf = (mesh: JobsMesh): string[] => [...(mesh.commandsOf('jobCompleted')[0]?.command as { results: ReadonlyMap<string, string> }).results.values()]

test('results from a peer that bid but was given no unit are not recorded, by the submitter or the leader: the job completes with its workers\' results', t => {
  const mesh = farm()
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4, 100), mesh.now) })
  mesh.forge('x', 's', { type: 'bid', jobId: 'j', slots: 1, free: 0, usPerCost: 0 })
  mesh.runUntil(400)
  const forged: JobsMessage[] = [0, 1, 2, 3].map(i => ({ type: 'result', jobId: 'j', unitId: `u${i}`, ok: true, summary: `u${i}@x` }))
  forged.push({ type: 'result', jobId: 'j', unitId: 'u2', ok: false, summary: 'forged failure' })
  for (const m of forged) for (const to of ['s', leaderOf(mesh)]) mesh.forge('x', to, m)
  mesh.runUntil(10_000)
  t.false(mesh.sent.some(s => s.to === 'x' && s.message.type === 'assign'), 'x was never given a unit')
  t.deepEqual(mesh.commandsOf('jobFailed'), [], 'the forged failure did not fail the job')
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  t.true(resultsOf(mesh).every(r => /@w[12]$/.test(r)), resultsOf(mesh).join(' '))
  t.false(mesh.sent.some(s => s.to === 'x' && s.message.type === 'result-ack'), 'nobody acknowledged x\'s results')
})

test('a peer cannot make a worker run a unit in a trusted submitter\'s name: assignments count only from the leader the submitter named', t => {
  const mesh = farm()
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4, 100), mesh.now) })
  mesh.runUntil(50) // w1 and w2 bid: they know job j of s
  const evil = { submitter: 's', dependsOn: [], cost: 1, payload: 'evil:1', index: 0, proof: [] }
  mesh.forge('x', 'w1', { type: 'assign', tickets: [{ ...evil, jobId: 'made-up', unitId: 'u', leader: 'x', term: 1 }] })
  mesh.forge('x', 'w1', { type: 'assign', tickets: [{ ...evil, jobId: 'j', unitId: 'u0', leader: 'x', term: 7 }] })
  mesh.runUntil(400)
  const term = (mesh.commandsOf('granted')[0]?.command as { term: number }).term
  mesh.forge('x', 'w2', { type: 'assign', tickets: [{ ...evil, jobId: 'j', unitId: 'u1', leader: 'x', term }] })
  mesh.forge('x', 'w2', { type: 'assign', tickets: [{ ...evil, jobId: 'j', unitId: 'u1', leader: leaderOf(mesh), term }] })
  mesh.forge('x', 'w2', { type: 'stolen', tickets: [{ ...evil, jobId: 'j', unitId: 'u3', leader: leaderOf(mesh), term }] })
  mesh.runUntil(10_000)
  t.deepEqual(mesh.commandsOf('runUnit').filter(c => (c.command as { payload: string }).payload.startsWith('evil')), [])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('an `ended` from anyone but the job\'s submitter changes nothing, on the topic or the stream: the job completes', t => {
  const mesh = farm()
  mesh.input('s', p => { p.submitJob(simpleJob('j', 8, 200), mesh.now) })
  mesh.runUntil(100)
  for (const to of ['w1', 'w2']) mesh.forge('x', to, { type: 'ended', jobId: 'j', ok: false }, true)
  mesh.runUntil(500)
  for (const to of ['w1', 'w2']) mesh.forge('x', to, { type: 'ended', jobId: 'j', ok: false })
  mesh.runUntil(10_000)
  t.deepEqual(mesh.commandsOf('cancelUnit'), [])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('grants make a leader only from the job\'s submitter, to a node that bid for it: not from another peer, nor on the topic, nor on a node without slots', t => {
  const mesh = farm()
  mesh.add('laptop', { slots: 0 }, config)
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4, 100), mesh.now) })
  mesh.runUntil(400)
  const units = [{ id: 'junk', dependsOn: [], cost: 1, payload: 'ok:1' }]
  for (const to of ['w1', 'w2', 'laptop']) {
    mesh.forge('x', to, { type: 'grant', jobId: 'junk', term: 1, units, done: [], workers: [] })
    mesh.forge('x', to, { type: 'grant', jobId: 'j', term: 99, units, done: [], workers: [] })
    mesh.forge('x', to, { type: 'grant', jobId: 'junk2', term: 1, units, done: [], workers: [] }, true)
  }
  mesh.forge('s', 'laptop', { type: 'grant', jobId: 'j', term: 98, units, done: [], workers: [] })
  mesh.runUntil(1000)
  for (const node of ['w1', 'w2', 'laptop']) {
    const leadership = mesh.node(node).leadership
    t.is(leadership.get('junk'), undefined, node)
    t.is(leadership.get('junk2'), undefined, node)
    t.true(leadership.get('j') === undefined || leadership.get('j')?.term === 1, node)
  }
  t.true(mesh.verdicts.filter(v => v.from === 'x' && v.type === 'grant' && v.verdict === 'reject').length === 3, 'grants on the topic are rejected')
})

test('a message type on the wrong channel is rejected; `ended` travels on both', t => {
  const mesh = farm()
  const ticket = { jobId: 'j', unitId: 'u', submitter: 's', leader: 'x', term: 1, dependsOn: [], cost: 1, payload: '', index: 0, proof: [] }
  const wrong: Array<[JobsMessage, boolean]> = [
    [{ type: 'announce', jobId: 'j', units: 1, root: new Uint8Array(32) }, false],
    [{ type: 'result', jobId: 'j', unitId: 'u', ok: true, summary: '' }, true],
    [{ type: 'assign', tickets: [ticket] }, true],
    [{ type: 'lease-ack', jobId: 'j', term: 1, at: 0, workers: [] }, true]
  ]
  for (const [m, gossip] of wrong) mesh.forge('x', 'w1', m, gossip)
  mesh.forge('x', 'w1', { type: 'ended', jobId: 'j', ok: true }, true)
  mesh.forge('x', 'w1', { type: 'ended', jobId: 'j', ok: true })
  mesh.runUntil(10)
  t.deepEqual(mesh.verdicts.map(v => `${v.type}:${v.verdict}`), ['announce:reject', 'result:reject', 'assign:reject', 'lease-ack:reject', 'ended:accept', 'ended:accept'])
  t.is(mesh.node('w1').rejected, 4)
})

test('only the submitter\'s acknowledgement ends a pending result: one from another peer leaves it pending, and the unit runs once', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 1, msPerCost: 1 }, config)
  let toSubmitterLost = true
  mesh.drop = (_from, to, m) => toSubmitterLost && m.type === 'result' && to === 's'
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 200, payload: 'ok:200' }] }, mesh.now) })
  mesh.runUntil(550)
  t.true(mesh.node('w').worker.busy, 'w has the result of a, unacknowledged')
  mesh.forge('x', 'w', { type: 'result-ack', jobId: 'j', unitId: 'a' })
  mesh.runUntil(600)
  t.true(mesh.node('w').worker.busy, 'x\'s acknowledgement does not count')
  toSubmitterLost = false
  mesh.runUntil(20_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  t.is(mesh.commandsOf('runUnit').length, 1)
})

test('a leader takes a result only from the worker its summary names, when the driver can tell', t => {
  const mesh = new JobsMesh()
  const resultAuthor = (claim: ResultClaim): string | undefined => claim.summary.split('@')[1]
  mesh.add('s', { slots: 0, resultAuthor }, config)
  mesh.add('a-leader', { slots: 4, speedHint: 100, resultAuthor }, config) // most free slots: it leads; slow: it runs nothing
  mesh.add('w1', { slots: 1, speedHint: 0.01, resultAuthor }, config) // its units never finish by themselves
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(500)
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['w1'])
  mesh.input('w1', p => { p.unitFinished('j', 'a', 'ok', 'a@w2', mesh.now) }) // names w2, whose test reports the submitter would fetch
  mesh.runUntil(5000)
  t.deepEqual(mesh.commandsOf('unitDone'), [])
  t.false(mesh.sent.some(s => s.from === 'a-leader' && s.to === 'w1' && s.message.type === 'result-ack'))
})

test('forged ends of made-up jobs leave nothing behind on a worker', t => {
  const mesh = farm()
  for (let i = 0; i < 3000; i++) mesh.forge('x', 'w1', { type: 'ended', jobId: `junk-${i}`, ok: false }, true)
  mesh.runUntil(10)
  t.is(mesh.node('w1').book.size, 0)
  t.false(mesh.node('w1').book.hasEnded('junk-0'))
})
