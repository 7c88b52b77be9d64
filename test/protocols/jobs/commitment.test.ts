import test from 'ava'
import { UnitTree, commitTo, unitLeaf, verifyTicket, verifyUnit } from '../../../protocols/jobs/index.js'
import type { JobCommitment, JobsCommand, JobSpec, UnitSpec, UnitTicket } from '../../../protocols/jobs/index.js'
import type { MemberInfo, MembershipView } from '../../../protocols/membership/index.js'
import { sha256 } from '../../../sim/sha256.js'
import { JobsMesh, simpleJob } from './mesh.js'
import { farm, trustsOnlyS as onlyS } from './farm.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unitsOf = (n: number, salt = ''): UnitSpec[] => Array.from({ length: n }, (_, i) => ({ id: `u${i}`, dependsOn: i > 0 ? [`u${i - 1}`] : [], cost: 10 + i, payload: `ok:${i}${salt}` }))

test('every unit of trees of 1 to 40 units proves against the root with at most ceil(log2 n) hashes; any change, another position or another tree fails', t => {
  for (let n = 1; n <= 40; n++) {
    const units = unitsOf(n)
    const tree = new UnitTree(sha256, units)
    const other = commitTo(sha256, unitsOf(n, '!'))
    t.is(tree.size, n)
    for (let i = 0; i < n; i++) {
      const unit = units[i] as UnitSpec
      const proof = tree.proof(i)
      t.true(proof.length <= Math.ceil(Math.log2(n)), `n ${n} i ${i}`)
      t.true(verifyUnit(sha256, tree.commitment, unit, i, proof), `n ${n} i ${i}`)
      t.false(verifyUnit(sha256, other, unit, i, proof), 'another job\'s root')
      t.false(verifyUnit(sha256, tree.commitment, { ...unit, payload: `${unit.payload}x` }, i, proof), 'payload')
      t.false(verifyUnit(sha256, tree.commitment, { ...unit, cost: unit.cost + 1 }, i, proof), 'cost')
      t.false(verifyUnit(sha256, tree.commitment, { ...unit, dependsOn: [...unit.dependsOn, 'u0'] }, i, proof), 'dependencies')
      t.false(verifyUnit(sha256, tree.commitment, { ...unit, id: `${unit.id}x` }, i, proof), 'id')
      t.false(verifyUnit(sha256, tree.commitment, unit, i, [...proof, new Uint8Array(32)]), 'a hash too many')
      t.false(verifyUnit(sha256, tree.commitment, unit, n, proof), 'past the last unit')
      if (n > 1) {
        t.false(verifyUnit(sha256, tree.commitment, unit, (i + 1) % n, proof), 'another position')
        t.false(verifyUnit(sha256, tree.commitment, unit, i, proof.slice(1)), 'a hash too few')
        t.false(verifyUnit(sha256, tree.commitment, units[(i + 1) % n] as UnitSpec, i, proof), 'another unit')
      }
    }
  }
})

test('the commitment format is pinned: leaves hash 0x00, the leaf format version (2) and the unit; inner nodes 0x01 and both children', t => {
  const units: UnitSpec[] = [{ id: 'a', dependsOn: [], cost: 1, payload: 'p' }, { id: 'b', dependsOn: ['a'], cost: 2, payload: '' }, { id: 'c', dependsOn: ['a', 'b'], cost: 300, payload: 'ü' }]
  t.is(hex(unitLeaf(sha256, units[0] as UnitSpec)), hex(sha256(Uint8Array.from([0, 2, 1, 97, 1, 1, 112, 0]))))
  const [a, b, c] = units.map(u => unitLeaf(sha256, u)) as [Uint8Array, Uint8Array, Uint8Array]
  const node = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.from([1, ...l, ...r]))
  t.is(hex(commitTo(sha256, units).root), hex(node(node(a, b), c)))
  t.is(hex(commitTo(sha256, units).root), 'fc5a4ebab5b6ed2e461c266a2cb40ebff12f2f9bb72f2b8e6e16457335fe5c72')
})



/** The ticket an honest leader of term `term` would hand out for unit `i` of `job`. */
function realTicket (job: JobSpec, i: number, leader: string, term = 1): UnitTicket {
  const unit = job.units[i] as UnitSpec
  const tree = new UnitTree(sha256, job.units)
  return { jobId: job.jobId, unitId: unit.id, submitter: 's', leader, term, dependsOn: unit.dependsOn, cost: unit.cost, payload: unit.payload, index: i, proof: tree.proof(i) }
}

/** Every unit run is a unit of a job in `jobs`, exactly as submitted. */
function ranAsSubmitted (mesh: JobsMesh, jobs: readonly JobSpec[]): string[] {
  const wrong: string[] = []
  for (const { node, command } of mesh.commandsOf('runUnit')) {
    const run = command as Extract<JobsCommand, { kind: 'runUnit' }>
    const unit = jobs.find(j => j.jobId === run.jobId)?.units.find(u => u.id === run.unitId)
    if (unit === undefined || unit.payload !== run.payload || unit.cost !== run.cost || unit.dependsOn.join() !== run.dependsOn.join() || run.submitter !== 's') wrong.push(`${node}:${run.jobId}/${run.unitId}:${run.payload}`)
  }
  return wrong
}

test('valid proofs: every ticket the leader hands out checks against the root the submitter announced, and every unit runs exactly as submitted', t => {
  const mesh = farm()
  const job = simpleJob('j', 13, 100)
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  mesh.runUntil(10_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  const announce = mesh.sent.find(s => s.message.type === 'announce')?.message as { units: number, root: Uint8Array }
  t.is(announce.units, 13)
  t.is(hex(announce.root), hex(commitTo(sha256, job.units).root))
  const tickets = mesh.sent.flatMap(s => s.message.type === 'assign' ? s.message.tickets : []) // to w2 (w1 hands its own tickets to itself in place)
  t.true(tickets.length > 0)
  t.true(tickets.every(x => x.proof.length <= 4 && verifyTicket(sha256, { units: 13, root: announce.root }, x)))
  t.deepEqual(mesh.verdicts.filter(v => v.verdict !== 'accept'), [])
  t.deepEqual(ranAsSubmitted(mesh, [job]), [])
  t.is(mesh.node('w2').worker.forgedTickets, 0)
})

test('forged tickets from the leader the submitter named are refused, the message rejected: changed payload, dependencies or cost, a unit id not in the job, another unit\'s position', t => {
  const mesh = farm()
  const job = simpleJob('j', 8, 100)
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  mesh.runUntil(400)
  const leader = (mesh.commandsOf('granted')[0]?.command as { leader: string }).leader
  t.is(leader, 'w1')
  const real = realTicket(job, 5, leader)
  const forged: UnitTicket[] = [
    { ...real, payload: 'evil:100' },
    { ...real, dependsOn: ['u0'] },
    { ...real, cost: 1 },
    { ...real, unitId: 'not-in-the-job' },
    { ...realTicket(job, 6, leader), unitId: 'u5', payload: real.payload, dependsOn: real.dependsOn, cost: real.cost }
  ]
  const before = mesh.verdicts.length
  mesh.forge(leader, 'w2', { type: 'assign', tickets: forged })
  mesh.runUntil(401)
  t.deepEqual(mesh.verdicts.slice(before).filter(v => v.to === 'w2' && v.type === 'assign').map(v => v.verdict), ['reject'])
  t.is(mesh.node('w2').worker.forgedTickets, forged.length)
  t.is(mesh.node('w2').rejected, 1)
  t.deepEqual(mesh.commandsOf('forgedTickets').map(c => c.command), [{ kind: 'forgedTickets', from: leader, tickets: forged.length }], 'the driver is told who forged')
  // a valid ticket in the same message as a forged one is taken: each ticket stands on its own proof
  mesh.forge(leader, 'w2', { type: 'assign', tickets: [{ ...real, payload: 'evil:1' }, real] })
  mesh.runUntil(10_000)
  t.deepEqual(ranAsSubmitted(mesh, [job]), [])
  t.true(mesh.commandsOf('runUnit').some(c => c.node === 'w2' && (c.command as { unitId: string }).unitId === 'u5'))
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('a unit of another job of the same submitter, with that job\'s valid proof, is refused as a unit of this one', t => {
  const mesh = farm()
  const j1 = simpleJob('j1', 6, 100)
  const j2 = simpleJob('j2', 6, 50)
  mesh.input('s', p => { p.submitJob(j1, mesh.now); p.submitJob(j2, mesh.now) })
  mesh.runUntil(400)
  const leaderOf = (jobId: string): string => (mesh.commandsOf('granted').find(c => (c.command as { jobId: string }).jobId === jobId)?.command as { leader: string }).leader
  const other = leaderOf('j2') === 'w1' ? 'w2' : 'w1'
  const fromJ1 = realTicket(j1, 2, leaderOf('j1'))
  t.true(verifyTicket(sha256, commitTo(sha256, j1.units), fromJ1), 'a valid proof, for j1')
  mesh.forge(leaderOf('j2'), other, { type: 'assign', tickets: [{ ...fromJ1, jobId: 'j2', leader: leaderOf('j2') }] })
  mesh.runUntil(401)
  t.deepEqual(mesh.verdicts.filter(v => v.to === other && v.from === leaderOf('j2') && v.type === 'assign').map(v => v.verdict).slice(-1), ['reject'])
  t.is(mesh.node(other).worker.forgedTickets, 1)
  mesh.runUntil(10_000)
  t.deepEqual(ranAsSubmitted(mesh, [j1, j2]), [])
  t.is(mesh.commandsOf('jobCompleted').length, 2)
})

/** Membership as the thief sees it: `x` (not a node of the mesh) says it has a long queue; the others are idle. */
function xLooksBusy (mesh: JobsMesh, self: string): MembershipView {
  const member = (peer: string, queued: number): MemberInfo => ({ peer, status: 'alive', incarnation: 0, load: { capacity: 1, running: 1, queued, cacheBytes: 0 } }) as unknown as MemberInfo
  const members = (): MemberInfo[] => [member('x', 10), ...[...mesh.nodes.keys()].filter(p => p !== self).map(p => member(p, 0))]
  return {
    self,
    get liveCount () { return members().length },
    get aliveCount () { return members().length + 1 },
    aliveDigest: 0,
    get: peer => members().find(m => m.peer === peer),
    isLive: peer => members().some(m => m.peer === peer),
    liveMembers: members,
    members,
    busiest: limit => members().slice(0, limit)
  }
}

test('forged stolen tickets from the victim the thief asked are refused, the message rejected, and the thief asks that victim no more', t => {
  const mesh = new JobsMesh()
  const stealing = { speculation: false, stealing: true }
  mesh.add('s', { slots: 0 }, stealing)
  mesh.add('lead', { slots: 8, msPerCost: 1, trust: onlyS }, stealing) // most free slots: it leads
  const job: JobSpec = { jobId: 'j', units: [{ id: 'long', dependsOn: [], cost: 30_000, payload: 'ok:30000' }, { id: 'next', dependsOn: ['long'], cost: 10, payload: 'ok:10' }, { id: 'side', dependsOn: [], cost: 10, payload: 'ok:10' }] }
  mesh.add('thief', { slots: 4, msPerCost: 1, trust: onlyS, view: xLooksBusy(mesh, 'thief') }, stealing)
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  const stealsToX = (): number => mesh.sent.filter(s => s.from === 'thief' && s.to === 'x' && s.message.type === 'steal').length
  mesh.runUntil(500)
  t.is(mesh.node('thief').book.get('j')?.leader, 'lead', 'the thief knows the job and its leader, from the submitter')
  const early = stealsToX()
  for (let at = 600; stealsToX() === early && at < 5000; at += 100) mesh.runUntil(at)
  t.true(stealsToX() > early, 'the idle thief asked x for work')
  const real = realTicket(job, 1, 'lead')
  const forged: UnitTicket[] = [{ ...real, payload: 'evil:10' }, { ...real, dependsOn: [] }, { ...real, unitId: 'not-in-the-job' }, { ...real, cost: 11 }]
  mesh.forge('x', 'thief', { type: 'stolen', tickets: forged })
  mesh.runUntil(mesh.now + 1)
  t.deepEqual(mesh.verdicts.filter(v => v.from === 'x').map(v => v.verdict), ['reject'])
  t.is(mesh.node('thief').worker.forgedTickets, forged.length)
  t.is(mesh.node('thief').worker.stolenIn, 0)
  const asked = stealsToX()
  mesh.runUntil(mesh.now + 20_000)
  t.is(stealsToX(), asked, 'x gave forged tickets: the thief does not ask it again')
  t.deepEqual(ranAsSubmitted(mesh, [job]), [])
})

test('a valid stolen ticket from the victim the thief asked is taken and runs as submitted', t => {
  const mesh = new JobsMesh()
  const stealing = { speculation: false, stealing: true }
  mesh.add('s', { slots: 0 }, stealing)
  mesh.add('lead', { slots: 8, trust: onlyS }, stealing) // its units never finish: u2 stays with it
  const job = simpleJob('j', 3, 100)
  mesh.add('thief', { slots: 1, msPerCost: 1, trust: onlyS, view: xLooksBusy(mesh, 'thief'), speedHint: 100 }, stealing) // slow: the leader gives it nothing
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  const stealsToX = (): number => mesh.sent.filter(s => s.from === 'thief' && s.to === 'x' && s.message.type === 'steal').length
  mesh.runUntil(500)
  const early = stealsToX()
  for (let at = 600; stealsToX() === early && at < 5000; at += 100) mesh.runUntil(at)
  t.true(stealsToX() > early)
  mesh.forge('x', 'thief', { type: 'stolen', tickets: [realTicket(job, 2, 'lead')] })
  mesh.runUntil(mesh.now + 1)
  t.deepEqual(mesh.verdicts.filter(v => v.from === 'x').map(v => v.verdict), ['accept'])
  t.deepEqual(mesh.commandsOf('runUnit').filter(c => c.node === 'thief').map(c => (c.command as { unitId: string }).unitId), ['u2'])
  t.deepEqual(ranAsSubmitted(mesh, [job]), [])
})

test('a worker that missed the announce learns the commitment from the submitter (asked with a bid), then runs units that check out', t => {
  const mesh = farm()
  mesh.drop = (_from, to, m) => m.type === 'announce' && to === 'w2'
  const job = simpleJob('j', 12, 1000)
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  mesh.runUntil(400)
  t.is(mesh.node('w2').book.get('j'), undefined, 'w2 did not hear of the job')
  // the leader's valid ticket makes w2 ask the submitter, whose `leader` notice carries the commitment
  mesh.forge('w1', 'w2', { type: 'assign', tickets: [realTicket(job, 11, 'w1')] })
  mesh.runUntil(600)
  const known = mesh.node('w2').book.get('j')?.commitment as JobCommitment | undefined
  t.is(known?.units, 12)
  t.is(hex(known?.root ?? new Uint8Array()), hex(commitTo(sha256, job.units).root))
  t.true(mesh.sent.some(s => s.from === 's' && s.to === 'w2' && s.message.type === 'leader' && s.message.units === 12))
  mesh.runUntil(30_000)
  t.true(mesh.commandsOf('runUnit').some(c => c.node === 'w2'), 'w2 ran units of the job once it knew it')
  t.deepEqual(ranAsSubmitted(mesh, [job]), [])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('a grant of other units than the submitter announced makes no leader: its tickets would all be refused', t => {
  const mesh = farm()
  const job = simpleJob('j', 4, 100)
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  mesh.runUntil(400)
  const units = job.units.map(u => ({ ...u, payload: 'evil:1' }))
  mesh.forge('s', 'w2', { type: 'grant', jobId: 'j', term: 5, units, done: [], workers: [{ peer: 'w2', slots: 2, usPerCost: 0 }] })
  mesh.runUntil(401)
  t.is(mesh.node('w2').leadership.get('j'), undefined)
  mesh.runUntil(10_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  t.deepEqual(ranAsSubmitted(mesh, [job]), [])
})

test('a second announce of a job with another root (its submitter changing its mind) changes nothing: the first commitment stays', t => {
  const mesh = farm()
  const job = simpleJob('j', 4, 100)
  mesh.input('s', p => { p.submitJob(job, mesh.now) })
  mesh.runUntil(50)
  const evil = commitTo(sha256, job.units.map(u => ({ ...u, payload: 'evil:1' })))
  mesh.forge('s', 'w2', { type: 'announce', jobId: 'j', units: evil.units, root: evil.root }, true)
  mesh.runUntil(51)
  t.is(hex(mesh.node('w2').book.get('j')?.commitment.root ?? new Uint8Array()), hex(commitTo(sha256, job.units).root))
  mesh.runUntil(10_000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})
