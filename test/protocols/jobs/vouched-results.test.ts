import test from 'ava'
import type { ResultClaim } from '../../../protocols/jobs/index.js'
import { JobsMesh, simpleJob } from './mesh.js'
import { quietConfig as config } from './farm.js'

/**
 * The test mesh's stand-in for a signature: a worker's summary `<unit>@<worker>` vouches for that unit; anything
 * else (what a leader makes up here: `#made-up` on the end) vouches for nothing.
 */
const vouched = (claim: ResultClaim): string | undefined => {
  const match = /^([^@]+)@([^@#]+)$/.exec(claim.summary)
  return match?.[1] === claim.unitId ? match[2] : undefined
}

/** s submits one unit; a-leader leads (most free slots) but runs nothing; b, the next bidder, runs the unit in 1 s. */
function leaderThatLies (): JobsMesh {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, resultAuthor: vouched }, config)
  mesh.add('a-leader', { slots: 4, speedHint: 100, resultAuthor: vouched }, config)
  mesh.add('b', { slots: 2, speedHint: 0.01, msPerCost: 100, resultAuthor: vouched }, config)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(500)
  return mesh
}

const grants = (mesh: JobsMesh): string[] => mesh.commandsOf('granted').map(c => `${(c.command as { term: number }).term}:${(c.command as { leader: string }).leader}`)

for (const ok of [true, false]) {
  const lie = ok ? 'a success nobody ran' : 'a failure nobody had'
  test(`a leader that passes off ${lie} is refused and deposed; the job completes with its worker's own result`, t => {
    const mesh = leaderThatLies()
    t.deepEqual(grants(mesh), ['1:a-leader'])
    t.deepEqual(mesh.commandsOf('runUnit').map(c => c.node), ['b'], 'b runs the unit, for 1 s')
    mesh.forge('a-leader', 's', { type: 'result', jobId: 'j', unitId: 'a', ok, summary: 'a@b#made-up' })
    mesh.runUntil(600)
    t.deepEqual(mesh.verdicts.filter(v => v.to === 's' && v.type === 'result').map(v => v.verdict), ['reject'])
    t.deepEqual(mesh.commandsOf('forgedResult').map(c => c.command), [{ kind: 'forgedResult', jobId: 'j', unitId: 'a', from: 'a-leader' }])
    t.deepEqual([...mesh.commandsOf('unitDone'), ...mesh.commandsOf('jobFailed')], [], 'nothing recorded')
    mesh.runUntil(20_000)
    t.deepEqual(grants(mesh), ['1:a-leader', '2:b'], 'the next bidder leads; the liar never again')
    t.deepEqual(mesh.commandsOf('jobFailed'), [])
    const completed = mesh.commandsOf('jobCompleted').map(c => [...(c.command as { results: ReadonlyMap<string, string> }).results])
    t.deepEqual(completed, [[['a', 'a@b']]])
  })
}

test('a result vouched for by a peer that never bid on the job (a key the leader made up) is refused, and the leader deposed', t => {
  const mesh = leaderThatLies()
  mesh.forge('a-leader', 's', { type: 'result', jobId: 'j', unitId: 'a', ok: false, summary: 'a@fresh-key' })
  mesh.runUntil(600)
  t.deepEqual(mesh.commandsOf('forgedResult').map(c => (c.command as { from: string }).from), ['a-leader'])
  t.deepEqual(mesh.commandsOf('jobFailed'), [])
  mesh.runUntil(20_000)
  t.deepEqual(grants(mesh), ['1:a-leader', '2:b'])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('what the leader vouches for in its own name is recorded: it bid, so it is a worker of the job, and a worker\'s word is taken', t => {
  const mesh = leaderThatLies()
  mesh.forge('a-leader', 's', { type: 'result', jobId: 'j', unitId: 'a', ok: true, summary: 'a@a-leader' })
  mesh.runUntil(600)
  t.deepEqual(mesh.commandsOf('forgedResult'), [])
  t.deepEqual(mesh.commandsOf('unitDone').map(c => (c.command as { summary: string }).summary), ['a@a-leader'])
})

test('a leader\'s result stops counting once it is deposed, even one a worker vouches for', t => {
  const mesh = leaderThatLies()
  mesh.forge('a-leader', 's', { type: 'result', jobId: 'j', unitId: 'a', ok: true, summary: 'a@b#made-up' })
  mesh.runUntil(600)
  mesh.forge('a-leader', 's', { type: 'result', jobId: 'j', unitId: 'a', ok: true, summary: 'a@b' })
  mesh.runUntil(700)
  t.deepEqual(mesh.commandsOf('unitDone'), [], 'b has not finished a yet; the liar\'s word is not taken for it')
})

test('a unit given back unrun with reasons no worker vouches for is sent elsewhere, but does not fail the job', t => {
  const mesh = new JobsMesh()
  const onlySuccesses = (claim: ResultClaim): string | undefined => claim.outcome === 'ok' ? vouched(claim) : undefined
  mesh.add('s', { slots: 0, resultAuthor: onlySuccesses }, config)
  mesh.add('b1', { slots: 1, msPerCost: 1, notRun: true, resultAuthor: onlySuccesses }, config)
  mesh.add('b2', { slots: 1, msPerCost: 1, notRun: true, resultAuthor: onlySuccesses }, config)
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 10, payload: 'ok:10' }] }, mesh.now) })
  mesh.runUntil(30_000)
  t.true(mesh.commandsOf('runUnit').length > 3, 'given back, and handed out again, more than three times')
  t.deepEqual(mesh.commandsOf('jobFailed'), [])
})

test('a leader that lists a worker deposed since (it led an earlier term and lied) passes on that worker\'s results and stays leader', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, resultAuthor: vouched }, config)
  mesh.add('x', { slots: 4, msPerCost: 10, resultAuthor: vouched }, config) // most free slots: leads term 1
  mesh.add('y', { slots: 2, msPerCost: 10, resultAuthor: vouched }, config)
  let cut = true
  mesh.drop = (from, to, m) => cut && from === 'x' && to === 's' && m.type === 'lease' // x's term lapses
  mesh.input('s', p => { p.submitJob(simpleJob('j', 20, 200), mesh.now) })
  mesh.runUntil(3500)
  t.deepEqual(grants(mesh), ['1:x', '2:y'], 'y leads term 2, and lists x: it bid')
  cut = false
  mesh.forge('x', 's', { type: 'result', jobId: 'j', unitId: 'u0', ok: true, summary: 'u0@y#made-up' }) // x, a leader once, lies
  mesh.runUntil(60_000)
  t.deepEqual(mesh.commandsOf('forgedResult').map(c => (c.command as { from: string }).from), ['x'], 'x is deposed; y, passing on x\'s own runs, is not')
  t.deepEqual(grants(mesh), ['1:x', '2:y'])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})
