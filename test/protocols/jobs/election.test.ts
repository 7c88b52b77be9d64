import test from 'ava'
import { TrustPolicy } from '../../../protocols/cache/trust.js'
import { JobsMesh, simpleJob } from './mesh.js'

const config = { stealing: false, speculation: false }

function farm (): JobsMesh {
  const mesh = new JobsMesh()
  mesh.add('laptop', { slots: 0 }, config)
  mesh.add('w1', { slots: 2, msPerCost: 1 }, config)
  mesh.add('w2', { slots: 4, msPerCost: 1 }, config)
  mesh.add('w3', { slots: 4, msPerCost: 1 }, config)
  return mesh
}

test('accepting nodes bid, the most free slots (then smallest id) lead term 1, and the job completes once', t => {
  const mesh = farm()
  mesh.input('laptop', p => { p.submitJob(simpleJob('j1', 20), mesh.now) })
  mesh.runUntil(5000)
  const bids = mesh.sent.filter(s => s.message.type === 'bid').map(s => s.from).sort()
  t.deepEqual(bids, ['w1', 'w2', 'w3'])
  const grants = mesh.sent.filter(s => s.message.type === 'grant')
  t.deepEqual(grants.map(g => [g.to, (g.message as { term: number }).term]), [['w2', 1]])
  const completed = mesh.commandsOf('jobCompleted')
  t.is(completed.length, 1)
  const results = (completed[0]?.command as { results: ReadonlyMap<string, string> }).results
  t.is(results.size, 20)
  const progress = mesh.commandsOf('unitDone')
  t.is(progress.length, 20, 'the submitter reports each unit once as its result arrives')
  t.true(progress.every(c => c.node === 'laptop'))
  const ranOn = new Set(mesh.commandsOf('runUnit').map(c => c.node))
  t.false(ranOn.has('laptop'), 'a node without slots runs nothing')
  t.true(ranOn.size >= 2, 'units are spread over the farm')
})

test('a leader acts only after the submitter acknowledged its lease', t => {
  const mesh = farm()
  mesh.drop = (_from, _to, m) => m.type === 'lease-ack'
  mesh.input('laptop', p => { p.submitJob(simpleJob('j1', 4), mesh.now) })
  mesh.runUntil(2000)
  t.true(mesh.sent.some(s => s.message.type === 'grant'))
  t.is(mesh.sent.filter(s => s.message.type === 'assign').length, 0)
})

test('a missed lease starts a new term on another bidder, which rebuilds the state from recorded results', t => {
  const mesh = farm()
  mesh.input('laptop', p => { p.submitJob(simpleJob('j1', 40, 50), mesh.now) })
  mesh.runUntil(400)
  mesh.down.add('w2')
  mesh.runUntil(20_000)
  const grants = mesh.sent.filter(s => s.message.type === 'grant').map(g => ({ to: g.to, m: g.message as unknown as { term: number, done: string[] } }))
  t.deepEqual(grants.map(g => [g.to, g.m.term]), [['w2', 1], ['w3', 2]])
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  // Each (job, term) has one leader sending assignments, and the old one stopped before the new one started.
  const assigners = new Map<number, Set<string>>()
  let lastOld = 0
  let firstNew = Infinity
  mesh.sent.forEach((s, i) => {
    if (s.message.type !== 'assign') return
    const term = s.message.tickets[0]?.term as number
    const set = assigners.get(term) ?? new Set()
    set.add(s.from)
    assigners.set(term, set)
    if (term === 1) lastOld = i
    else firstNew = Math.min(firstNew, i)
  })
  t.deepEqual([...assigners.entries()].map(([term, set]) => [term, [...set]]), [[1, ['w2']], [2, ['w3']]])
  t.true(lastOld < firstNew)
})

test('nodes bid only for trusted submitters and refuse their units', t => {
  const mesh = new JobsMesh()
  const ciOnly = new TrustPolicy({ producers: { mode: 'any-member' }, submitters: { mode: 'peers', peers: ['ci'] }, announceOwnPuts: true })
  mesh.add('stranger', { slots: 0 }, config)
  mesh.add('ci', { slots: 0 }, config)
  mesh.add('w1', { slots: 2, msPerCost: 1, trust: ciOnly }, config)
  mesh.input('stranger', p => { p.submitJob(simpleJob('bad', 3), mesh.now) })
  mesh.input('ci', p => { p.submitJob(simpleJob('good', 3), mesh.now) })
  mesh.runUntil(5000)
  const bids = mesh.sent.filter(s => s.message.type === 'bid').map(s => s.to)
  t.deepEqual([...new Set(bids)], ['ci'])
  t.deepEqual(mesh.commandsOf('jobCompleted').map(c => c.node), ['ci'])
  t.true(mesh.commandsOf('runUnit').every(c => (c.command as { jobId: string }).jobId === 'good'))
  t.true(mesh.sent.filter(s => s.message.type === 'announce' && s.from === 'stranger').length > 1, 'the untrusted job keeps waiting for bids')
})

test('a submitter that accepts builds can lead and run its own job', t => {
  const mesh = new JobsMesh()
  mesh.add('solo', { slots: 2, msPerCost: 1 }, config)
  mesh.input('solo', p => { p.submitJob(simpleJob('j', 6), mesh.now) })
  mesh.runUntil(3000)
  t.is(mesh.commandsOf('jobCompleted').length, 1)
  t.deepEqual(mesh.commandsOf('leading').map(c => (c.command as { acting: boolean }).acting), [true, false])
})

test('a submitter with a producer trust list lets only those producers bid, lead and run its units', t => {
  const mesh = new JobsMesh()
  const ciProduces = new TrustPolicy({ producers: { mode: 'peers', peers: ['ci'] }, submitters: { mode: 'any-member' }, announceOwnPuts: true })
  mesh.add('laptop', { slots: 0, trust: ciProduces }, config)
  mesh.add('ci', { slots: 2, msPerCost: 1 }, config)
  mesh.add('big', { slots: 8, msPerCost: 1 }, config) // more free slots: it would lead if its bid counted
  mesh.input('laptop', p => { p.submitJob(simpleJob('j', 6), mesh.now) })
  mesh.runUntil(5000)
  t.deepEqual(mesh.commandsOf('jobCompleted').map(c => c.node), ['laptop'])
  t.deepEqual([...new Set(mesh.commandsOf('runUnit').map(c => c.node))], ['ci'], 'every unit runs on the trusted producer')
  t.true(mesh.sent.some(s => s.message.type === 'bid' && s.from === 'big'), 'the untrusted node did bid')
  t.false(mesh.sent.some(s => s.to === 'big' && ['grant', 'leader', 'assign'].includes(s.message.type)), 'it is never granted, told the leader or assigned')
})
