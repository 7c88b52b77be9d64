import test from 'ava'
import type { MembershipView } from '../../../protocols/membership/index.js'
import { JobsMesh, liveView, simpleJob } from './mesh.js'

const config = { stealing: false, speculation: false }
const sentBy = (mesh: JobsMesh, from: string, type: string, after: number): number => mesh.sent.slice(after).filter(s => s.from === from && s.message.type === type).length
const startedOn = (mesh: JobsMesh, node: string): string[] => mesh.commandsOf('runUnit').filter(c => c.node === node).map(c => (c.command as { unitId: string }).unitId)

test('a worker gives up a job whose submitter membership holds dead: its results are sent no more and its queue is dropped', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 1, msPerCost: 1, view: liveView(mesh, 'w') }, { ...config, submitterGoneMs: 30_000 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 300), mesh.now) })
  mesh.runUntil(2000)
  t.true(mesh.node('w').worker.busy)
  mesh.down.add('s') // the submitter dies, and membership says so
  const diedAt = mesh.now
  mesh.runUntil(diedAt + 31_000)
  t.false(mesh.node('w').worker.busy, 'nothing queued, running or waiting for an acknowledgement')
  const givenUp = mesh.sent.length
  mesh.runUntil(diedAt + 600_000)
  t.is(sentBy(mesh, 'w', 'result', givenUp), 0, 'no result sent ten minutes on')
})

test('a submitter held dead for less than `submitterGoneMs` (a partition that heals) keeps its workers: the job completes', t => {
  const mesh = new JobsMesh()
  let cut = false
  mesh.drop = (from, to) => cut && (from === 's' || to === 's')
  const live = liveView(mesh, 'w')
  // membership on w holds s dead while they are cut off
  const view: MembershipView = Object.create(live, { get: { value: (peer: string) => peer === 's' && cut ? { ...live.get(peer), status: 'dead' } : live.get(peer) } })
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 1, msPerCost: 1, view }, { ...config, submitterGoneMs: 30_000 })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 300), mesh.now) })
  mesh.runUntil(2000)
  cut = true
  mesh.runUntil(2000 + 25_000)
  cut = false
  mesh.runUntil(120_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  t.is(mesh.commandsOf('runUnit').length, 40, 'every unit ran once: none of its results was given up')
})

test('a submitter that restarted without its job answers a worker\'s result with `ended`: the worker drops the job at once', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.add('w', { slots: 1, msPerCost: 1 }, config)
  mesh.input('s', p => { p.submitJob(simpleJob('j', 40, 300), mesh.now) })
  mesh.runUntil(2000)
  const before = startedOn(mesh, 'w')
  mesh.add('s', { slots: 0 }, config) // same peer id, no memory of the job
  const restarted = mesh.sent.length
  mesh.runUntil(mesh.now + 2000)
  t.false(mesh.node('w').worker.busy)
  t.is(mesh.node('w').leadership.size, 0, 'its lease request was answered `ended` too')
  const cancelled = mesh.commandsOf('cancelUnit').map(c => (c.command as { unitId: string }).unitId)
  const startedSince = startedOn(mesh, 'w').slice(before.length)
  t.true(startedSince.length <= 1, `started since: ${startedSince.join(', ')}`)
  t.true(startedSince.every(u => cancelled.includes(u)), 'a unit started before the answer came was cancelled')
  mesh.runUntil(mesh.now + 600_000)
  t.true(sentBy(mesh, 'w', 'result', restarted) <= 2, 'a result or two before the answer, none after')
  t.true(mesh.sent.slice(restarted).some(s => s.from === 's' && s.to === 'w' && s.message.type === 'ended' && !s.message.ok))
})

test('a submitter answers a lease request for a job it does not know with `ended`, so the leader lets go at once', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, config)
  mesh.forge('l', 's', { type: 'lease', jobId: 'unknown', term: 3, at: 0 })
  mesh.runUntil(10)
  t.deepEqual(mesh.sent.filter(s => s.from === 's').map(s => s.message), [{ type: 'ended', jobId: 'unknown', ok: false }])
})
