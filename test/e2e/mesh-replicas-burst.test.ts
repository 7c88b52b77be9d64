import test from 'ava'
import { randomBytes } from 'node:crypto'
import { awaitPeers, awaitStatus, bootstrapAddress, cachePut, MESH_TEST_TIMEOUT_MS, meshStatus, randomKey, startMeshNode } from '../node/mesh/helpers.js'

const BURST = 200
const REPLICAS = ['--replicas', '1']

// A parallel build PUTs its outputs in a burst. Before, every PUT pushed to its replica at once: the pushes held the
// replica's streams for their whole pull, the ones past its per-peer stream limit were reset and those replicas were
// never stored (200 PUTs at once: 8 stored).
test('a burst of 200 PUTs with --replicas 1 ends with every entry replicated on the one other peer', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS)
  const a = await startMeshNode(t, REPLICAS)
  const b = await startMeshNode(t, [...REPLICAS, '--bootstrap', bootstrapAddress(a)])
  await awaitPeers(a, [b.info.peerId])
  await awaitPeers(b, [a.info.peerId])

  const puts = await Promise.all(Array.from({ length: BURST }, async () => await cachePut(a, randomKey(), randomBytes(2048))))
  t.deepEqual(puts.filter(status => status !== 200), [], 'A stored every PUT')
  const pushed = await awaitStatus(a, 'A pushed a replica of every entry', status => status.sharing.replicasPushed >= BURST)
  const atB = await meshStatus(b)
  t.log('A:', JSON.stringify(pushed.sharing), 'B:', JSON.stringify(atB.sharing))
  t.is(atB.sharing.replicasStored, BURST, 'B stored one replica of each entry')
  t.is(atB.cache.entries, BURST, 'B holds them')
})

// Replication used to happen at PUT time only: an entry PUT while the node knew no peer (just after `gmesh up`,
// offline) was never replicated.
test('entries PUT while A was alone are replicated once a peer joins', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS)
  const a = await startMeshNode(t, REPLICAS)
  const keys = [randomKey(), randomKey(), randomKey()]
  for (const key of keys) t.is(await cachePut(a, key, randomBytes(4096)), 200)
  t.is((await meshStatus(a)).sharing.replicasPushed, 0, 'nobody to push to')
  const b = await startMeshNode(t, [...REPLICAS, '--bootstrap', bootstrapAddress(a)])
  await awaitPeers(a, [b.info.peerId])
  const atB = await awaitStatus(b, 'B stored a replica of each entry A PUT alone', status => status.sharing.replicasStored >= keys.length)
  t.is(atB.sharing.replicasStored, keys.length)
  t.is(atB.cache.entries, keys.length)
})
