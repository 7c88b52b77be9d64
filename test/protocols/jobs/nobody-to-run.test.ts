import test from 'ava'
import { TrustPolicy } from '../../../protocols/cache/trust.js'
import { DEFAULT_JOBS_CONFIG } from '../../../protocols/jobs/index.js'
import { JobsMesh, liveView, simpleJob } from './mesh.js'

const { noSlotsMs, noBidderMs } = DEFAULT_JOBS_CONFIG
const onlyCi = new TrustPolicy({ producers: { mode: 'any-member' }, submitters: { mode: 'peers', peers: ['ci'] }, announceOwnPuts: true })

function abandonedReasons (mesh: JobsMesh): string[] {
  return mesh.commandsOf('jobAbandoned').map(c => (c.command as { reason: string }).reason)
}

test('a job ends within seconds when no live member, the submitter included, offers build slots', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: liveView(mesh, 's') })
  mesh.add('laptop', { slots: 0, view: liveView(mesh, 'laptop') })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(noSlotsMs - 100)
  t.deepEqual(abandonedReasons(mesh), [], 'membership gets a few seconds to show a member with slots')
  mesh.runUntil(noSlotsMs + 200)
  const reasons = abandonedReasons(mesh)
  t.is(reasons.length, 1)
  t.regex(reasons[0]!, /^no node accepts builds: none of the 2 live members of the mesh \(this node included\) offers build slots; start one with gmesh up --accept-builds \(in a mesh with --swarm-key, or with --trust-submitters\)$/)
  t.true(mesh.sent.some(s => s.message.type === 'ended' && !s.message.ok), 'the mesh hears the job is over')
})

test('a submitter alone in the mesh is told it sees no other member', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: liveView(mesh, 's') })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(noSlotsMs + 200)
  const reasons = abandonedReasons(mesh)
  t.is(reasons.length, 1)
  t.regex(reasons[0]!, /this node sees no other member of the mesh \(gmesh status tells why\)/)
})

test('members that offer slots but do not trust the submitter get the full wait, then a trust hint', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: liveView(mesh, 's') })
  mesh.add('w', { slots: 2, trust: onlyCi, msPerCost: 1, view: liveView(mesh, 'w') })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(noBidderMs - 1000)
  t.deepEqual(abandonedReasons(mesh), [], 'slots exist in the mesh: a bid may still come')
  t.false(mesh.sent.some(s => s.message.type === 'bid'), 'w does not bid for a submitter it does not trust')
  mesh.runUntil(noBidderMs + 200)
  const reasons = abandonedReasons(mesh)
  t.is(reasons.length, 1)
  t.regex(reasons[0]!, /^no live node that accepts builds answered for 60 s: 1 live member offers build slots but none bid; does their --trust-submitters leave this node out\?$/)
})

test('a submitter whose own slots refuse its jobs counts them: the full wait, then the trust hint', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 2, trust: onlyCi, msPerCost: 1, view: liveView(mesh, 's') })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(noBidderMs - 1000)
  t.deepEqual(abandonedReasons(mesh), [])
  mesh.runUntil(noBidderMs + 200)
  t.regex(abandonedReasons(mesh)[0] ?? '', /1 live member offers build slots but none bid/)
})

test('a job whose only worker died after leading it waits the full minute for one to come back', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: liveView(mesh, 's') })
  mesh.add('w', { slots: 2, view: liveView(mesh, 'w') }) // units never finish by themselves
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(1000)
  t.is(mesh.commandsOf('granted').length, 1)
  mesh.down.add('w')
  mesh.runUntil(30_000)
  t.deepEqual(abandonedReasons(mesh), [], 'no slots are left in the mesh, but the job ran before: its nodes may come back')
  mesh.runUntil(1000 + DEFAULT_JOBS_CONFIG.leaseMs + DEFAULT_JOBS_CONFIG.leaseMarginMs + noBidderMs + 500)
  t.regex(abandonedReasons(mesh)[0] ?? '', /^no live node that accepts builds answered for 60 s: the member that offered build slots is unreachable$/)
})

test('a job submitted while its only build node is unreachable (dead in membership) waits, and runs once it is back', t => {
  const mesh = new JobsMesh()
  mesh.add('s', { slots: 0, view: liveView(mesh, 's') })
  mesh.add('w', { slots: 2, msPerCost: 1, view: liveView(mesh, 'w') })
  mesh.down.add('w') // a partition: membership holds w dead, its load still offers slots
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(noSlotsMs * 3)
  t.deepEqual(abandonedReasons(mesh), [], 'the mesh had slots before the partition: not abandoned in seconds')
  mesh.down.delete('w')
  mesh.runUntil(noSlotsMs * 3 + 5000)
  t.is(mesh.commandsOf('granted').length, 1)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
})

test('a job whose only bidders are producers the submitter does not trust ends with a --trust-producers hint', t => {
  const mesh = new JobsMesh()
  const ciProduces = new TrustPolicy({ producers: { mode: 'peers', peers: ['ci'] }, submitters: { mode: 'any-member' }, announceOwnPuts: true })
  mesh.add('s', { slots: 0, trust: ciProduces, view: liveView(mesh, 's') })
  mesh.add('w', { slots: 2, msPerCost: 1, view: liveView(mesh, 'w') })
  mesh.input('s', p => { p.submitJob(simpleJob('j', 4), mesh.now) })
  mesh.runUntil(noBidderMs - 1000)
  t.deepEqual(abandonedReasons(mesh), [])
  t.true(mesh.sent.some(s => s.message.type === 'bid' && s.from === 'w'), 'w bids')
  t.deepEqual(mesh.commandsOf('runUnit'), [], 'w runs nothing')
  mesh.runUntil(noBidderMs + 200)
  t.deepEqual(abandonedReasons(mesh), ['no node this node trusts as a producer bid for 60 s: 1 node bid but is not on its --trust-producers list (their cache entries would not be used)'])
})
