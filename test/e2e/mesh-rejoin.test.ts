import test from 'ava'
import { randomBytes } from 'node:crypto'
import { awaitStatus, bootstrapAddress, cacheGet, cachePut, MESH_TEST_TIMEOUT_MS, randomKey, startMeshNode } from '../node/mesh/helpers.js'

// A peer declared dead (here: paused with SIGSTOP until membership gives up on it) keeps its
// claims in the index; lookups skip it while dead and use it again as soon as it is alive.
test('a provider that was thought dead and comes back is a provider again: its entries are found once more', async t => {
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
