import test from 'ava'
import type { ResultClaim } from '../../../protocols/jobs/index.js'
import { JobsMesh } from './mesh.js'
import { quietConfig as config } from './farm.js'

/**
 * The test mesh's stand-in for a signature that covers the outcome: a summary `<unit>@<worker>` (`… at <time>` for a
 * unit not run) vouches for that unit, as b reports it: b can set nothing up, so all it ever signs is that it could
 * not run a unit (`not-run`); c only runs.
 */
const signed = (claim: ResultClaim): string | undefined => {
  const match = /^([^@]+)@([^@# ]+)(?: at \d+)?$/.exec(claim.summary)
  if (match?.[1] !== claim.unitId) return undefined
  return (match[2] === 'b') === (claim.outcome === 'not-run') ? match[2] : undefined
}

/** s submits one unit; a-leader leads (most free slots) but runs nothing; b gives the unit back unrun, c then runs it in 1 s. */
function leaderWithANotRun (): JobsMesh {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, resultAuthor: signed }, config)
  mesh.add('a-leader', { slots: 4, speedHint: 100, resultAuthor: signed }, config)
  mesh.add('b', { slots: 1, speedHint: 0.01, msPerCost: 1, notRun: true, resultAuthor: signed }, config)
  mesh.add('c', { slots: 1, speedHint: 0.02, msPerCost: 100, resultAuthor: signed }, config)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(500)
  return mesh
}

/** What b signed when it gave the unit back: the report the leader holds. */
const bsReport = (mesh: JobsMesh): string => {
  const sent = mesh.sent.find(s => s.from === 'b' && s.to === 'a-leader' && s.message.type === 'not-run')
  return sent?.message.type === 'not-run' ? sent.message.reason : ''
}
const grants = (mesh: JobsMesh): string[] => mesh.commandsOf('granted').map(c => `${(c.command as { term: number }).term}:${(c.command as { leader: string }).leader}`)

test('a leader that passes off a worker\'s signed "could not run" as a failed result is refused and deposed: the job does not fail', t => {
  const mesh = leaderWithANotRun()
  t.deepEqual(grants(mesh), ['1:a-leader'])
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['b', 'c'], 'b gave a back unrun, c runs it')
  t.regex(bsReport(mesh), /^a@b at \d+$/, 'the leader holds b\'s signed report')
  mesh.forge('a-leader', 's', { type: 'result', jobId: 'j', unitId: 'a', ok: false, summary: bsReport(mesh) })
  mesh.runUntil(600)
  t.deepEqual(mesh.verdicts.filter(v => v.from === 'a-leader' && v.to === 's' && v.type === 'result').map(v => v.verdict), ['reject'])
  t.deepEqual(mesh.commandsOf('forgedResult').map(c => c.command), [{ kind: 'forgedResult', jobId: 'j', unitId: 'a', from: 'a-leader' }])
  t.deepEqual(mesh.commandsOf('jobFailed'), [])
  mesh.runUntil(20_000)
  t.deepEqual(grants(mesh), ['1:a-leader', '2:b'], 'the next bidder leads; the liar never again')
  t.deepEqual(mesh.commandsOf('jobFailed'), [])
  const completed = mesh.commandsOf('jobCompleted').map(c => [...(c.command as { results: ReadonlyMap<string, string> }).results])
  t.deepEqual(completed, [[['a', 'a@c']]])
})

test('a leader that passes on a worker\'s signed "could not run" again and again does not fail the job: one report counts once', t => {
  const mesh = leaderWithANotRun()
  t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['b', 'c'], 'b gave a back unrun once, c runs it')
  for (let i = 0; i < 3; i++) mesh.forge('a-leader', 's', { type: 'not-run', jobId: 'j', unitId: 'a', reason: bsReport(mesh) })
  mesh.runUntil(20_000)
  t.deepEqual(mesh.commandsOf('jobFailed'), [])
  const completed = mesh.commandsOf('jobCompleted').map(c => [...(c.command as { results: ReadonlyMap<string, string> }).results])
  t.deepEqual(completed, [[['a', 'a@c']]])
})
