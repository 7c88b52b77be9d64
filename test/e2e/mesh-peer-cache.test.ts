import test from 'ava'
import type { PeerRow } from '../../src/cli/commands/peers.js'
import { runGmesh } from '../helpers/gmesh-node.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS, JAVA_MULTI_CACHEABLE_TASKS } from '../helpers/gradle-project.js'
import { buildThroughNode, tasksWith } from '../node/mesh/gradle-build.js'
import { awaitPeers, awaitStatus, bootstrapAddress, meshStatus, startMeshNode } from '../node/mesh/helpers.js'

const TASKS = JAVA_MULTI_CACHEABLE_TASKS.length

test('three nodes: a clean build through B gets every cacheable task FROM-CACHE from the build that ran through A', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'two real Gradle builds on a shared 2-core machine')
  const a = await startMeshNode(t)
  const seed = ['--bootstrap', bootstrapAddress(a)]
  const b = await startMeshNode(t, seed)
  const c = await startMeshNode(t, seed)
  const first = await copyExample('java-multi')
  const second = await copyExample('java-multi')
  t.teardown(async () => { await Promise.all([first.cleanup(), second.cleanup()]) })
  const ids = [a, b, c].map(node => node.info.peerId)
  for (const node of [a, b, c]) await awaitPeers(node, ids.filter(id => id !== node.info.peerId))

  const cold = await buildThroughNode(t, a, first)
  t.is(cold.code, 0, cold.output)
  t.deepEqual(tasksWith(cold.summary, 'EXECUTED').filter(path => JAVA_MULTI_CACHEABLE_TASKS.includes(path)), JAVA_MULTI_CACHEABLE_TASKS)
  t.is((await meshStatus(a)).cache.entries, TASKS, 'A stored one entry per cacheable task')
  await awaitStatus(b, 'B indexed A\'s announcements', status => status.sharing.protocol.indexedKeys >= TASKS)

  const warm = await buildThroughNode(t, b, second)
  t.is(warm.code, 0, warm.output)
  const atB = await meshStatus(b)
  // A lookup gives each provider 750 ms to answer and the whole GET 2 s (Gradle's remote cache
  // must never stall): on an overloaded machine a miss here shows as deadlineMisses.
  t.log('B after the build:', JSON.stringify(atB.sharing))
  t.deepEqual(tasksWith(warm.summary, 'FROM-CACHE'), JAVA_MULTI_CACHEABLE_TASKS)
  t.is(atB.sharing.peerHits, TASKS, 'every hit at B was fetched from a peer')
  t.is(atB.sharing.corruptRejected, 0)
  t.true(atB.sharing.fetchedBytes > 0)
  await awaitStatus(b, 'B keeps what it fetched (written just after each GET was answered)', status => status.cache.entries === TASKS)
  const listed = await runGmesh(t, ['peers', '--data', b.dataDir, '--json'])
  t.is(listed.code, 0, listed.stderr)
  const seenA = (JSON.parse(listed.stdout) as PeerRow[]).find(peer => peer.peerId === a.info.peerId)
  t.true(seenA?.connected, 'gmesh peers on B lists A as connected')
  t.true((seenA?.rttMs ?? -1) >= 0, 'with the round-trip time B measured on its fetches from A')
  const atC = await meshStatus(c)
  t.is(atC.sharing.peerHits, 0, 'C took no part in the build')
  t.is((await meshStatus(a)).sharing.peerHits, 0)
})
