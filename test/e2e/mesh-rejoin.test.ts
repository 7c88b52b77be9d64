import test from 'ava'
import { randomBytes } from 'node:crypto'
import { awaitStatus, bootstrapAddress, cacheGet, cachePut, MESH_TEST_TIMEOUT_MS, randomKey, startMeshNode } from '../node/mesh/helpers.js'

// KNOWN BUG (test.failing until fixed): CacheProtocol.onPeerDown (protocols/cache/cache-protocol.ts)
// drops every claim of a peer membership declares dead (index.removePeer), and nothing teaches them
// back when the same peer is alive again: index sync runs once per node (`synced`), and a provider
// re-announces what it holds only before the 6 h index TTL. Under load, false death declarations
// happen (seen in the e2e suite), and the mesh then misses entries that live nodes hold.
// When the fix lands, ava reports this test as passing: change test.failing back to test.
test.failing('a provider that was thought dead and comes back is a provider again: its entries are found once more', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'two gmesh processes, one paused long enough to be declared dead')
  const a = await startMeshNode(t)
  const b = await startMeshNode(t, ['--bootstrap', bootstrapAddress(a)])
  const key = randomKey()
  const body = randomBytes(8192)
  t.is(await cachePut(a, key, body), 200)
  await awaitStatus(b, 'B indexed A\'s entry', status => status.sharing.protocol.providerClaims >= 1)

  // A laptop lid closed for a while: A is paused (SIGSTOP by pid) until B declares it dead.
  const pid = a.child.pid!
  process.kill(pid, 'SIGSTOP')
  t.teardown(() => { try { process.kill(pid, 'SIGCONT') } catch {} })
  await awaitStatus(b, 'B declared the paused A dead', status => !status.peers.some(peer => peer.peerId === a.info.peerId))
  process.kill(pid, 'SIGCONT')
  await awaitStatus(b, 'B sees A alive again', status => status.peers.some(peer => peer.peerId === a.info.peerId && peer.status === 'alive' && peer.connected))

  const relearnt = await awaitStatus(b, 'B knows A provides the entry again', status => status.sharing.protocol.providerClaims >= 1, { withinMs: 20_000 })
    .then(() => true, () => false)
  const got = await cacheGet(b, key)
  t.log(`after A came back: B ${relearnt ? 'relearnt' : 'did not relearn'} A's claim within 20 s; GET at B answered ${got.status}`)
  t.true(relearnt, 'B learns again what the returned A provides')
  t.is(got.status, 200, 'the entry A still holds is fetched from it')
  t.true(got.body.equals(body))
})
