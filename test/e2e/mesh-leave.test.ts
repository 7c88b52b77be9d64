import test from 'ava'
import { awaitPeers, awaitStatus, bootstrapAddress, MESH_TEST_TIMEOUT_MS, startMeshNode } from '../node/mesh/helpers.js'
import { startNode, removeDataDir } from '../helpers/gmesh-node.js'

// A laptop shut down properly says goodbye: its peers drop it at once and stop sending it lookups and
// units, instead of finding out by failure detection (at least a probe round, an ack timeout and a 4 s suspicion).
test('a node that stops says so: its peers drop it within a moment, and it is a member again when it comes back', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'three gmesh starts on a shared 2-core machine')
  const b = await startMeshNode(t)
  const a = await startNode({ args: ['--bootstrap', bootstrapAddress(b)] })
  t.teardown(async () => { await removeDataDir(a) })
  await awaitPeers(b, [a.info.peerId])
  t.is(await a.stop(), 0)
  await awaitStatus(b, 'B dropped A at its goodbye', status => !status.peers.some(peer => peer.peerId === a.info.peerId), { withinMs: 3000, intervalMs: 50 })

  // the same data dir, so the same peer id: its new incarnation outranks the goodbye
  const again = await startNode({ dataDir: a.dataDir, args: ['--bootstrap', bootstrapAddress(b)] })
  t.teardown(async () => { await removeDataDir(again) })
  t.is(again.info.peerId, a.info.peerId)
  await awaitStatus(b, 'B sees A alive again', status => status.peers.some(peer => peer.peerId === a.info.peerId && peer.status === 'alive'))
})
