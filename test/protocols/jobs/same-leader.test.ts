import test from 'ava'
import type { MemberInfo, MembershipView } from '../../../protocols/membership/index.js'
import { fakeView, JobsMesh } from './mesh.js'
import { quietConfig } from './farm.js'

/** Membership as s sees it: l alive, w dead (it is not: a false suspicion). */
function sHoldsWDead (): MembershipView {
  const view = fakeView('s', [{ peer: 'l', queued: 0 }])
  const l = view.get('l') as MemberInfo
  return { ...view, get: peer => peer === 'w' ? { ...l, peer: 'w', status: 'dead' } : view.get(peer) }
}

/**
 * s submits one unit `a`; l leads (most slots) but says it is slow, so `a` runs on w. l counts w's result and
 * acknowledges it, so w sends it on to s alone, which takes results from its leaders only. From 700 ms to 3 s, what
 * l passes on to s is lost, its lease requests too: s lets l's lease lapse and, with nobody else it holds alive, grants
 * term 2 to l again.
 */
function resultLostBetweenTerms (): JobsMesh {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: sHoldsWDead() }, quietConfig)
  mesh.add('l', { slots: 4, msPerCost: 1, speedHint: 1000 }, quietConfig)
  mesh.add('w', { slots: 2, msPerCost: 1, speedHint: 0.001 }, quietConfig)
  mesh.drop = (from, to, m) => from === 'l' && to === 's' && (m.type === 'result' || m.type === 'lease') && mesh.now >= 700 && mesh.now < 3000
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 500, payload: 'ok:500' }] }, mesh.now) })
  return mesh
}

test('a result the leader took in its last term reaches the submitter when the same node leads the next term', t => {
  const mesh = resultLostBetweenTerms()
  mesh.runUntil(60_000)
  t.deepEqual(mesh.commandsOf('granted').map(c => [(c.command as { leader: string }).leader, (c.command as { term: number }).term]), [['l', 1], ['l', 2]])
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['w'], 'a ran once, on w')
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1, 'the job is over, not hanging')
  t.is((completed[0]?.command as { results: ReadonlyMap<string, string> }).results.get('a'), 'a@w')
})

test('the same node leading the next term passes on the result it took in its last term, though the worker that ran it is gone', t => {
  const mesh = resultLostBetweenTerms()
  mesh.runUntil(900)
  mesh.down.add('w') // once l acknowledged its result: only l has it now
  mesh.runUntil(60_000)
  t.deepEqual(mesh.commandsOf('granted').map(c => [(c.command as { leader: string }).leader, (c.command as { term: number }).term]), [['l', 1], ['l', 2]])
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['w'], 'a is not run again')
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1)
  t.is((completed[0]?.command as { results: ReadonlyMap<string, string> }).results.get('a'), 'a@w')
})
