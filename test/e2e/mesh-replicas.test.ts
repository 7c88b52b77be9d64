import test from 'ava'
import { copyExample, GRADLE_TEST_TIMEOUT_MS, JAVA_MULTI_CACHEABLE_TASKS } from '../helpers/gradle-project.js'
import { buildThroughNode, tasksWith } from '../node/mesh/gradle-build.js'
import { awaitPeers, awaitStatus, bootstrapAddress, meshStatus, startMeshNode } from '../node/mesh/helpers.js'

const TASKS = JAVA_MULTI_CACHEABLE_TASKS.length
const REPLICAS = ['--replicas', '1']

test('with --replicas 1 the entries of a build through A outlive A: a clean build through a newcomer D gets them FROM-CACHE', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'two real Gradle builds on a shared 2-core machine')
  const a = await startMeshNode(t, REPLICAS)
  const b = await startMeshNode(t, [...REPLICAS, '--bootstrap', bootstrapAddress(a)])
  const c = await startMeshNode(t, [...REPLICAS, '--bootstrap', bootstrapAddress(a)])
  const first = await copyExample('java-multi')
  const second = await copyExample('java-multi')
  t.teardown(async () => { await Promise.all([first.cleanup(), second.cleanup()]) })
  const ids = [a, b, c].map(node => node.info.peerId)
  for (const node of [a, b, c]) await awaitPeers(node, ids.filter(id => id !== node.info.peerId))

  const cold = await buildThroughNode(t, a, first)
  t.is(cold.code, 0, cold.output)
  t.is(tasksWith(cold.summary, 'FROM-CACHE').length, 0)
  await awaitStatus(a, 'A pushed a replica of every entry', status => status.sharing.replicasPushed >= TASKS)
  const stored = (await meshStatus(b)).sharing.replicasStored + (await meshStatus(c)).sharing.replicasStored
  t.is(stored, TASKS, 'B and C between them took one replica of each entry')

  t.is(await a.stop(), 0, 'A leaves')
  const d = await startMeshNode(t, [...REPLICAS, '--bootstrap', bootstrapAddress(b)])
  await awaitPeers(d, [b.info.peerId, c.info.peerId])
  await awaitStatus(d, 'D learnt the replicas\' records', status => status.sharing.protocol.indexedKeys >= TASKS)

  const warm = await buildThroughNode(t, d, second)
  t.is(warm.code, 0, warm.output)
  const atD = await meshStatus(d)
  t.log('D after the build:', JSON.stringify(atD.sharing))
  t.deepEqual(tasksWith(warm.summary, 'FROM-CACHE'), JAVA_MULTI_CACHEABLE_TASKS)
  t.is(atD.sharing.peerHits, TASKS, 'every entry came from a replica on B or C')
  t.false(atD.peers.some(peer => peer.peerId === a.info.peerId && peer.connected), 'A is gone')
})
