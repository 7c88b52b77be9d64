import test from 'ava'
import { DEFAULT_JOBS_CONFIG, type JobsMessage } from '../../../protocols/jobs/index.js'
import { JobsMesh } from './mesh.js'
import { quietConfig } from './farm.js'

type Result = Extract<JobsMessage, { type: 'result' }>

const grants = (mesh: JobsMesh): string[] => mesh.commandsOf('granted').map(c => `${(c.command as { term: number }).term}:${(c.command as { leader: string }).leader}`)

/**
 * s submits `a` (1 s) and `b` (20 s: the job goes on); l1 leads term 1 (most slots) but says it is slow, so both run
 * on w. What l1 passes on to s is held back, and from 1.5 s its lease requests are lost: s grants term 2 to l2 (the
 * next most free slots). The result l1 passed on reaches s just after that grant: s records it, though the grant did
 * not list `a` as done. w does not hear of l2 for 1.5 s (the `leader` notices are lost), time enough for s to
 * acknowledge w's own copy of the result: w no longer holds `a` when it does, and never tells l2 of it.
 */
function resultAfterTheNextGrant (): { mesh: JobsMesh, late: Result } {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0 }, quietConfig)
  mesh.add('l1', { slots: 4, msPerCost: 1, speedHint: 1000 }, quietConfig)
  mesh.add('l2', { slots: 3, msPerCost: 1, speedHint: 0.01 }, quietConfig)
  mesh.add('w', { slots: 2, msPerCost: 1, speedHint: 0.001 }, quietConfig)
  let late: Result | undefined
  let noticesToWFrom = Infinity
  let holdBack = true
  mesh.drop = (from, to, m) => {
    if (from === 'l1' && to === 's' && m.type === 'result' && holdBack) {
      late = m
      return true
    }
    return (from === 'l1' && to === 's' && m.type === 'lease' && mesh.now >= 1500) || (to === 'w' && m.type === 'leader' && m.term === 2 && mesh.now < noticesToWFrom)
  }
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 1000, payload: 'ok:1000' }, { id: 'b', dependsOn: [], cost: 20_000, payload: 'ok:20000' }] }, mesh.now) })
  while (grants(mesh).length < 2 && mesh.now < 10_000) mesh.runUntil(mesh.now + 1)
  if (late === undefined) throw new Error('l1 passed on no result')
  holdBack = false
  noticesToWFrom = mesh.now + 1500
  mesh.forge('l1', 's', late)
  return { mesh, late }
}

test('a result recorded just after the next term was granted reaches that term\'s leader, which does not hand the unit out again', t => {
  const { mesh, late } = resultAfterTheNextGrant()
  t.deepEqual(grants(mesh), ['1:l1', '2:l2'])
  t.is(late.summary, 'a@w')
  const runsOfA = (): string[] => mesh.commandsOf('runUnit').filter(c => (c.command as { unitId: string }).unitId === 'a').map(c => c.node)
  t.deepEqual(runsOfA(), ['w'], 'a ran on w, in term 1')
  mesh.runUntil(mesh.now + 40_000)
  t.deepEqual(mesh.commandsOf('unitDone').filter(c => (c.command as { unitId: string }).unitId === 'a').map(c => (c.command as { summary: string }).summary), ['a@w'])
  t.deepEqual(runsOfA(), ['w'], 'a is not run again')
  const tickets = mesh.sent.filter(s => s.message.type === 'assign').flatMap(s => (s.message as Extract<JobsMessage, { type: 'assign' }>).tickets.map(k => `${k.term}:${k.unitId}`))
  t.false(tickets.includes('2:a'), 'l2 did not hand a out')
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

/**
 * s submits `a` (1 s) and `b` (20 s); l1 leads term 1 (most slots) but says it is slow, so both run on l2. What l1
 * passes on to s is lost, and from 1.5 s its lease requests too: s grants term 2 to l2, and the grant is held back.
 * Meanwhile l2's own worker sends s the result of `a` again: l2 is one of the job's leaders now, so s records it and
 * acknowledges it, and l2's worker lets go of `a`. Then the grant reaches l2, not listing `a` as done.
 */
function ownResultBeforeTheGrant (lostTells = 0, more: { thirdBidder?: boolean, drop?: (from: string, to: string, m: JobsMessage, now: number) => boolean } = {}): JobsMesh {
  const mesh = new JobsMesh()
  let tells = 0
  mesh.add('s', { slots: 0 }, quietConfig)
  mesh.add('l1', { slots: 4, msPerCost: 1, speedHint: 1000 }, quietConfig)
  mesh.add('l2', { slots: 3, msPerCost: 1, speedHint: 0.001 }, quietConfig)
  if (more.thirdBidder === true) mesh.add('l3', { slots: 2, msPerCost: 1, speedHint: 0.001 }, quietConfig)
  let grant: JobsMessage | undefined
  mesh.drop = (from, to, m) => {
    if (m.type === 'grant' && m.term === 2 && grant === undefined) grant = m
    if (from === 's' && to === 'l2' && m.type === 'result' && tells++ < lostTells) return true
    if (more.drop?.(from, to, m, mesh.now) === true) return true
    return (from === 'l1' && to === 's' && (m.type === 'result' || (m.type === 'lease' && mesh.now >= 1500))) || m === grant
  }
  mesh.input('s', p => { p.submitJob({ jobId: 'j', units: [{ id: 'a', dependsOn: [], cost: 1000, payload: 'ok:1000' }, { id: 'b', dependsOn: [], cost: 20_000, payload: 'ok:20000' }] }, mesh.now) })
  while (mesh.commandsOf('unitDone').length === 0 && mesh.now < 10_000) mesh.runUntil(mesh.now + 1)
  mesh.runUntil(mesh.now + 10) // s's acknowledgement reached l2
  if (grant === undefined) throw new Error('no grant of term 2')
  mesh.forge('s', 'l2', grant)
  return mesh
}

for (const lostTells of [0, 2]) {
  const lost = lostTells === 0 ? '' : ` (what s tells it is lost ${lostTells} times: s acknowledges none of its lease requests until it knows)`
  test(`a result s records from the next term's leader before its grant reaches it (its own worker's) is told to it${lost}: it does not hand the unit out again`, t => {
    const mesh = ownResultBeforeTheGrant(lostTells)
    t.deepEqual(grants(mesh), ['1:l1', '2:l2'])
    t.deepEqual(mesh.commandsOf('unitDone').map(c => (c.command as { summary: string }).summary), ['a@l2'], 'recorded after the grant was sent')
    const runsOfA = (): string[] => mesh.commandsOf('runUnit').filter(c => (c.command as { unitId: string }).unitId === 'a').map(c => c.node)
    mesh.runUntil(mesh.now + 40_000)
    t.deepEqual(runsOfA(), ['l2'], 'a ran once')
    t.deepEqual(grants(mesh), ['1:l1', '2:l2'], 'l2 kept its term meanwhile')
    t.is(mesh.commandsOf('jobCompleted').length, 1)
  })
}

test('a next term\'s leader that never acknowledges what s tells it (every telling lost) is heard no more after a lease: s grants the next term, and a runs once', t => {
  const mesh = ownResultBeforeTheGrant(Infinity)
  const heldFrom = mesh.now
  while (grants(mesh).length < 3 && mesh.now < heldFrom + 40_000) mesh.runUntil(mesh.now + 1)
  t.deepEqual(grants(mesh).slice(0, 2), ['1:l1', '2:l2'])
  t.is(grants(mesh).length, 3, 'a third term was granted')
  const { leaseMs, leaseMarginMs } = DEFAULT_JOBS_CONFIG
  t.true(mesh.now - heldFrom <= 2 * leaseMs + leaseMarginMs + 1000, `term 3 came ${mesh.now - heldFrom} ms after s began telling l2: it did not wait for l2 to give its term up`)
  mesh.runUntil(mesh.now + 40_000)
  t.deepEqual(mesh.commandsOf('runUnit').filter(c => (c.command as { unitId: string }).unitId === 'a').map(c => c.node), ['l2'], 'a ran once')
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

/**
 * As ownResultBeforeTheGrant, with l3 bidding too: what s tells l2 is lost for 3.3 s (past a lease, so l2's held-back
 * requests stop counting as hearing from it), then gets through; l2 acknowledges it, and s answers the request it held
 * back, so l2 holds a lease from then on. l2's next lease requests are lost for 0.8 s: s must not grant term 3 while
 * that lease runs.
 */
test('a leader whose held-back lease request s answers once it acknowledged what it was told keeps its term: no second leader while that lease runs', t => {
  let tellsLostUntil = Infinity
  let leasesLostFrom = Infinity
  const mesh = ownResultBeforeTheGrant(0, {
    thirdBidder: true,
    drop: (from, to, m, now) => {
      if (from === 's' && to === 'l2' && m.type === 'result' && now < tellsLostUntil) return true
      if (from === 'l2' && to === 's' && m.type === 'result-ack' && now >= tellsLostUntil && leasesLostFrom === Infinity) leasesLostFrom = now
      return from === 'l2' && to === 's' && m.type === 'lease' && now > leasesLostFrom && now < leasesLostFrom + 800
    }
  })
  tellsLostUntil = mesh.now + 3300 // from the grant on (it reaches l2 now)
  mesh.runUntil(mesh.now + 40_000)
  t.not(leasesLostFrom, Infinity, 'l2 acknowledged what s told it once it got through')
  t.deepEqual(grants(mesh), ['1:l1', '2:l2'], 'l2 kept its term')
  t.deepEqual(mesh.commandsOf('runUnit').filter(c => (c.command as { unitId: string }).unitId === 'a').map(c => c.node), ['l2'], 'a ran once')
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})
