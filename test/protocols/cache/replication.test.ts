import test from 'ava'
import { MAX_REPLICAS, casFrameCodec, checkReplicaPullHeader, chooseReplicas } from '../../../protocols/cache/index.js'
import { Timers, gradleKey, makeNode, only, recordBy, settle, sha256Of } from './helpers.js'

const IDS = ['laptop', 'n1', 'n2', 'n3', 'n4', 'n5']

test('a laptop that closes its lid loses nothing: its PUT was pushed to two replicas that serve it', t => {
  const nodes = IDS.map(id => makeNode(id, IDS, { config: { replication: { replicas: 2 } } }))
  const timers = new Map(nodes.map(n => [n.self, new Timers()]))
  for (const n of nodes) n.cache.start(0)
  settle(nodes, timers, 0)
  const [laptop, ...others] = nodes
  if (laptop === undefined) return t.fail()
  for (const n of nodes) n.cache.drainCommands()

  const key = gradleKey(0xbeef)
  const record = laptop.cache.localPut({ gradleKey: key, sha256: sha256Of('classes.jar'), size: 4096, time: 5 }, 10)
  if (record === undefined) return t.fail()
  const pushes = only(laptop.cache.drainCommands(), 'push')
  const expected = chooseReplicas(key, IDS.slice(1), 2)
  t.deepEqual(pushes.map(p => [...p.to]), [expected], 'the two peers the key hashes to')

  const header = casFrameCodec.encode({ type: 'push', record })
  for (const peer of others.filter(p => expected.includes(p.self))) {
    const decision = peer.cache.onPushHeader('laptop', header, 20)
    if (!decision.accept) return t.fail(`${peer.self} refused its replica: ${decision.reason}`)
    peer.cache.localStored(decision.record, 20)
  }
  settle(nodes, timers, 20)
  for (const n of nodes) timers.get(n.self)?.fireDue(n.cache, 300)
  settle(nodes, timers, 300)

  const reader = others.find(n => !expected.includes(n.self))
  if (reader === undefined) return t.fail()
  reader.peers.alive.delete('laptop')
  reader.cache.onPeerDown('laptop', 400)
  t.deepEqual(reader.cache.index.lookup(key, 450).map(p => p.peer).filter(p => reader.peers.isAlive(p)).sort(), [...expected].sort(), 'the replicas announced themselves')
  reader.cache.get(key, 500, 2500)
  const fetches = only(reader.cache.drainCommands(), 'fetch')
  t.is(fetches.length, 1)
  t.true(expected.includes(fetches[0]?.peer ?? ''), 'the reader goes to a replica, not the sleeping laptop')
})

test('a record signed while its entry is stored, then announced, queues what a localPut queues; another producer\'s is ignored', t => {
  const node = makeNode('n1', IDS, { config: { replication: { replicas: 2 } } })
  node.cache.start(0)
  node.cache.drainCommands()
  const record = node.cache.signLocal({ gradleKey: gradleKey(4), sha256: sha256Of('w'), size: 9, time: 1 })
  if (record === undefined) return t.fail()
  t.deepEqual(node.cache.drainCommands(), [], 'nothing is queued before the entry is stored')
  t.is(node.cache.announcer.heldCount, 0)
  node.cache.localPutSigned(record, 2)
  t.deepEqual(only(node.cache.drainCommands(), 'push').map(p => [...p.to]), [chooseReplicas(gradleKey(4), IDS.filter(id => id !== 'n1'), 2)])
  t.is(node.cache.announcer.heldCount, 1)
  node.cache.localPutSigned({ ...record, gradleKey: gradleKey(5), producer: 'n2' }, 3)
  t.deepEqual(node.cache.drainCommands(), [])
  t.is(node.cache.announcer.heldCount, 1)
})

test('replication off: a PUT pushes nowhere and a pushed entry is refused', t => {
  const node = makeNode('n1', IDS, { config: { replication: { replicas: 0, acceptRank: 0 } } })
  node.cache.start(0)
  const record = node.cache.localPut({ gradleKey: gradleKey(1), sha256: sha256Of('x'), size: 1, time: 1 }, 1)
  t.deepEqual(only(node.cache.drainCommands(), 'push'), [])
  if (record === undefined) return t.fail()
  t.like(node.cache.onPushHeader('n2', casFrameCodec.encode({ type: 'push', record }), 2), { accept: false, reason: 'not-a-replica' })
})

test('in a large mesh each PUT is also provided in the DHT', t => {
  const many = Array.from({ length: 70 }, (_, i) => `p${i}`)
  const node = makeNode('p0', many)
  node.cache.start(0)
  node.cache.localPut({ gradleKey: gradleKey(2), sha256: sha256Of('y'), size: 1, time: 1 }, 1)
  t.deepEqual(only(node.cache.drainCommands(), 'provide'), [{ kind: 'provide', key: gradleKey(2) }])
  const small = makeNode('p0', many.slice(0, 10))
  small.cache.start(0)
  small.cache.localPut({ gradleKey: gradleKey(2), sha256: sha256Of('y'), size: 1, time: 1 }, 1)
  t.deepEqual(only(small.cache.drainCommands(), 'provide'), [], 'ten nodes: the announcement index is enough')
})

test('a replica pulling an accepted offer streams only the offered bytes', t => {
  const node = makeNode('n1', IDS, { config: { replication: { replicas: 1 } } })
  node.cache.start(0)
  const record = node.cache.localPut({ gradleKey: gradleKey(3), sha256: sha256Of('z'), size: 7, time: 1 }, 1)
  if (record === undefined) return t.fail()
  const header = (sha256: string, size: number): Uint8Array => casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256, size })
  t.deepEqual(checkReplicaPullHeader(record, header(record.sha256, 7)), { accept: true, sha256: record.sha256, size: 7 })
  t.deepEqual(checkReplicaPullHeader(record, header(sha256Of('other'), 7)), { accept: false, status: 'refused', reason: 'changed' }, 'other bytes: the key PUT again since')
  t.deepEqual(checkReplicaPullHeader(record, header(sha256Of('other'), 9)), { accept: false, status: 'refused', reason: 'changed' }, 'other bytes of another size')
  t.deepEqual(checkReplicaPullHeader(record, header(record.sha256, 8)), { accept: false, status: 'refused', reason: 'wrong' }, 'the offered hash, another size')
  t.deepEqual(checkReplicaPullHeader(record, casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })), { accept: false, status: 'refused', reason: 'missing' }, 'the pusher let it go')
  t.deepEqual(checkReplicaPullHeader(record, Uint8Array.of(1)), { accept: false, status: 'refused', reason: 'wrong' }, 'garbage')
})

test('a replica whose pull finds the pusher busy answers busy: the offer\'s next try or the backlog asks again', t => {
  const node = makeNode('n1', IDS, { config: { replication: { replicas: 1 } } })
  node.cache.start(0)
  const record = node.cache.localPut({ gradleKey: gradleKey(4), sha256: sha256Of('w'), size: 7, time: 1 }, 1)
  if (record === undefined) return t.fail()
  t.deepEqual(checkReplicaPullHeader(record, casFrameCodec.encode({ type: 'fetch-response', status: 'busy' })), { accept: false, status: 'busy', reason: 'busy' })
})

test('--replicas 8 in a 12-node mesh: all eight replicas keep the entry (they refused from rank 6 on)', t => {
  const mesh = Array.from({ length: 12 }, (_, i) => `m${i}`)
  const nodes = mesh.map(id => makeNode(id, mesh, { config: { replication: { replicas: 8 } } }))
  for (const n of nodes) n.cache.start(0)
  const [producer, ...others] = nodes
  if (producer === undefined) return t.fail()
  producer.cache.drainCommands()
  const record = producer.cache.localPut({ gradleKey: gradleKey(0xcafe), sha256: sha256Of('big.jar'), size: 64, time: 5 }, 10)
  if (record === undefined) return t.fail()
  const targets = only(producer.cache.drainCommands(), 'push').flatMap(p => [...p.to])
  t.is(targets.length, 8)
  const header = casFrameCodec.encode({ type: 'push', record })
  const refused = others.filter(n => targets.includes(n.self)).filter(n => !n.cache.onPushHeader(producer.self, header, 10).accept).map(n => n.self)
  t.deepEqual(refused, [], 'every one of the R targets keeps its replica')
})

test('at the largest --replicas, a receiver that sees two more peers ranked above it still keeps its replica; one below all slack refuses', t => {
  const mesh = Array.from({ length: 20 }, (_, i) => `m${i}`)
  const key = gradleKey(0xf00d)
  const record = recordBy('m0', 0xf00d)
  const targets = chooseReplicas(key, mesh.slice(1), MAX_REPLICAS)
  const last = targets[MAX_REPLICAS - 1] as string
  // peers that joined since the pusher looked, each ranked above `last`
  const above = Array.from({ length: 2000 }, (_, i) => `new${i}`).filter(p => chooseReplicas(key, [last, p], 1)[0] === p)
  const header = casFrameCodec.encode({ type: 'push', record })
  const receiver = (extra: number) => makeNode(last, [...mesh, ...above.slice(0, extra)])
  t.true(receiver(2).cache.onPushHeader('m0', header, 0).accept, 'ranked R+2 in its own view')
  t.like(receiver(3).cache.onPushHeader('m0', header, 0), { accept: false, reason: 'not-a-replica' }, 'ranked R+3: refused')
})

test('a pusher whose replica pull brought bytes that are not the entry is penalised, and its offers are refused meanwhile', t => {
  const node = makeNode('n1', IDS, { config: { replication: { replicas: 2 } } })
  node.cache.start(0)
  node.cache.drainCommands()
  const record = recordBy('n2', 7)
  const header = casFrameCodec.encode({ type: 'push', record })
  t.true(node.cache.onPushHeader('n2', header, 10).accept, 'a first offer is taken')
  node.cache.onReplicaPullCorrupt('n2', 20)
  t.deepEqual(only(node.cache.drainCommands(), 'penalise'), [{ kind: 'penalise', peer: 'n2', reason: 'corrupt-blob' }])
  t.like(node.cache.onPushHeader('n2', header, 30), { accept: false, status: 'refused', reason: 'penalised-pusher' }, 'replaying the offer pulls nothing more')
  t.true(node.cache.onPushHeader('n3', casFrameCodec.encode({ type: 'push', record: recordBy('n3', 7) }), 30).accept, 'other pushers are not affected')
  t.true(node.cache.onPushHeader('n2', header, 20 + 60 * 60 * 1000).accept, 'taken again once the penalty is over')
})

test('an offer from a pusher this node does not hold live (a fresh key, or a member not yet heard of) gets no pull slot, and is answered busy so its next try is taken once the member is live', t => {
  const node = makeNode('n1', IDS, { config: { replication: { replicas: 2 } } })
  node.cache.start(0)
  const record = recordBy('stranger', 7)
  t.like(node.cache.onPushHeader('stranger', casFrameCodec.encode({ type: 'push', record }), 10), { accept: false, status: 'busy', reason: 'not-a-member' })
  t.true(node.cache.onPushHeader('n2', casFrameCodec.encode({ type: 'push', record: recordBy('n2', 7) }), 10).accept, 'a live member\'s is taken')
})
