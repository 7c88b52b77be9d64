import test from 'ava'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { awaitStatus, bootstrapAddress, cacheGet, cachePut, meshStatus, MESH_TEST_TIMEOUT_MS, putAndFetch, randomKey, startMeshNode } from '../node/mesh/helpers.js'
import { startNode, removeDataDir } from '../helpers/gmesh-node.js'

// A developer restarts a node with a narrower trust list ("CI pushes, developers read" after an open mesh): what it
// fetched from peers it no longer trusts must not reach Gradle or its peers any more; what its own Gradle PUT stays.
test('a node restarted with a narrower --trust-producers drops the entries of producers it no longer trusts and keeps its own', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'three gmesh starts on a shared 2-core machine')
  const a = await startMeshNode(t)
  const b = await startNode({ args: ['--bootstrap', bootstrapAddress(a)] })
  t.teardown(async () => { await removeDataDir(b) })
  const { key: fromA, put, got } = await putAndFetch(a, b, 8192)
  t.is(put, 200)
  t.is(got.status, 200, 'B fetches A\'s entry while it trusts every member')
  const own = randomKey()
  const ownBody = randomBytes(4096)
  t.is(await cachePut(b, own, ownBody), 200)
  await awaitStatus(b, 'B stored A\'s entry and signed its own', status => status.cache.entries === 2 && status.sharing.protocol.heldRecords === 2)
  t.is(await b.stop(), 0)

  // the same data dir and store; the trust list now names only some other producer (A stays up and still holds its entry)
  const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const again = await startNode({ dataDir: b.dataDir, args: ['--bootstrap', bootstrapAddress(a), '--trust-producers', other] })
  t.teardown(async () => { await removeDataDir(again) })
  t.is(again.info.peerId, b.info.peerId)
  t.is((await cacheGet(again, fromA)).status, 404, 'A\'s entry is not served from the store, nor fetched again from A')
  const mine = await cacheGet(again, own)
  t.is(mine.status, 200, 'the entry B\'s own Gradle PUT is always served')
  t.true(mine.body.equals(ownBody))
  t.is((await meshStatus(again)).cache.entries, 1, 'A\'s entry left the store: nothing offers it to peers')
})
