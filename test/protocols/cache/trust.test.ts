import test from 'ava'
import {
  BadSignatureError, CACHE_TOPIC, TrustPolicy, UntrustedProducerError, announceCodec, assertAcceptableRecord,
  casFrameCodec, chooseReplicas, ciPushesDevelopersRead, decidePush
} from '../../../protocols/cache/index.js'
import { FakePeers, Timers, gradleKey, makeNode, recordBy, settle, sha256Of, signerFor, verifyFake } from './helpers.js'

const MESH = ['ci-1', 'dev-1', 'dev-2']

function ciAndDevelopers (): ReturnType<typeof makeNode>[] {
  return MESH.map(self => makeNode(self, MESH, { trust: new TrustPolicy(ciPushesDevelopersRead(['ci-1'], self === 'ci-1')) }))
}

test('CI pushes, developers read: only the CI node\'s PUTs reach the other nodes', t => {
  const nodes = ciAndDevelopers()
  const [ci, dev1, dev2] = nodes as [ReturnType<typeof makeNode>, ReturnType<typeof makeNode>, ReturnType<typeof makeNode>]
  const timers = new Map(nodes.map(n => [n.self, new Timers()]))
  for (const n of nodes) n.cache.start(0)
  settle(nodes, timers, 0)

  t.is(dev1.cache.localPut({ gradleKey: gradleKey(1), sha256: sha256Of('dev'), size: 3, time: 1 }, 10), undefined, 'a developer PUT stays local')
  t.truthy(ci.cache.localPut({ gradleKey: gradleKey(2), sha256: sha256Of('ci'), size: 2, time: 1 }, 10))
  settle(nodes, timers, 10)
  for (const n of nodes) timers.get(n.self)?.fireDue(n.cache, 300)
  settle(nodes, timers, 300)

  t.deepEqual(dev2.cache.index.lookup(gradleKey(2), 400).map(p => p.peer), ['ci-1'])
  t.deepEqual(dev2.cache.index.lookup(gradleKey(1), 400), [])
  t.is(dev1.cache.announcer.heldCount, 0)
})

test('announcements from an untrusted producer are ignored; bad signatures are rejected', t => {
  const dev = makeNode('dev-2', MESH, { trust: new TrustPolicy(ciPushesDevelopersRead(['ci-1'], false)) })
  dev.cache.start(0)
  const fromLaptop = announceCodec.encode({ type: 'announce', records: [recordBy('dev-1', 5)] })
  t.is(dev.cache.onMessage('dev-1', CACHE_TOPIC, fromLaptop, 1), 'ignore', 'not forwarded, not indexed')
  t.is(dev.cache.index.size, 0)

  const mixed = announceCodec.encode({ type: 'announce', records: [recordBy('dev-1', 6), recordBy('ci-1', 7)] })
  t.is(dev.cache.onMessage('dev-1', CACHE_TOPIC, mixed, 2), 'accept', 'the relayed CI record is worth forwarding')
  t.deepEqual([...dev.cache.index.claims(3, 10)].map(p => p.record.gradleKey), [gradleKey(7)])

  const forged = announceCodec.encode({ type: 'announce', records: [recordBy('ci-1', 8, signerFor('dev-1'))] })
  t.is(dev.cache.onMessage('dev-1', CACHE_TOPIC, forged, 4), 'reject', 'a record in the CI\'s name signed by a laptop')
  t.is(dev.cache.onMessage('dev-1', CACHE_TOPIC, Uint8Array.of(1, 1, 5), 5), 'reject', 'truncated batch')
  t.is(dev.cache.index.size, 1)
})

test('assertAcceptableRecord names the reason a record is refused', t => {
  const policy = new TrustPolicy(ciPushesDevelopersRead(['ci-1'], false))
  t.notThrows(() => assertAcceptableRecord(recordBy('ci-1', 1), verifyFake, policy))
  t.throws(() => assertAcceptableRecord(recordBy('dev-1', 1), verifyFake, policy), { instanceOf: UntrustedProducerError })
  t.throws(() => assertAcceptableRecord(recordBy('ci-1', 1, signerFor('dev-1')), verifyFake, policy), { instanceOf: BadSignatureError })
  t.true(policy.maySubmit('ci-1'))
  t.false(policy.maySubmit('dev-1'), 'developers cannot submit builds to this node either')
  t.true(policy.maySubmit('ci-1', () => false), 'a listed peer need not be a member of the view')
})

test('under "any member", maySubmit asks the view who is a member, when the caller has one', t => {
  const open = new TrustPolicy()
  t.true(open.maySubmit('anyone'), 'no view: anyone')
  t.true(open.maySubmit('m', peer => peer === 'm'))
  t.false(open.maySubmit('made-up', peer => peer === 'm'))
})

test('a replica push is kept only from a trusted producer and only by a node the key hashes to', t => {
  const peers = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']
  const record = recordBy('n0', 42)
  const ranked = chooseReplicas(record.gradleKey, peers.filter(p => p !== 'n0'), peers.length)
  const replication = { replicas: 1, acceptRank: 2, maxPushBytes: 1 << 20 }
  const ctx = (self: string, trust = new TrustPolicy()) => ({ self, verify: verifyFake, trust, peers: new FakePeers(peers.filter(p => p !== self)), replication, isPenalised: () => false })
  const header = casFrameCodec.encode({ type: 'push', record })

  t.like(decidePush(ctx(ranked[0] as string), 'n0', header), { accept: true })
  t.like(decidePush(ctx(ranked[1] as string), 'n0', header), { accept: true }, 'within the slack of views that differ')
  t.like(decidePush(ctx(ranked[5] as string), 'n0', header), { accept: false, status: 'refused', reason: 'not-a-replica' })
  const ciOnly = new TrustPolicy(ciPushesDevelopersRead(['ci-1'], false))
  t.like(decidePush(ctx(ranked[0] as string, ciOnly), 'n0', header), { accept: false, reason: 'untrusted-producer' })
  const forged = casFrameCodec.encode({ type: 'push', record: recordBy('n0', 42, signerFor('n3')) })
  t.like(decidePush(ctx(ranked[0] as string), 'n3', forged), { accept: false, reason: 'bad-signature' })
  t.like(decidePush(ctx(ranked[0] as string), 'n0', casFrameCodec.encode({ type: 'push-ack', status: 'stored' })), { accept: false, reason: 'malformed' })
  t.like(decidePush(ctx(ranked[0] as string), 'n0', Uint8Array.of(9, 9)), { accept: false, reason: 'malformed' })
})
