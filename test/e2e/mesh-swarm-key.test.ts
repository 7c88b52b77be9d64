import test, { type ExecutionContext } from 'ava'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { NodeClient } from '../../src/client/node-client.js'
import { runGmesh } from '../helpers/gmesh-node.js'
import { awaitPeers, awaitStatus, bootstrapAddress, cacheGet, meshStatus, MESH_TEST_TIMEOUT_MS, putAndFetch, startMeshNode } from '../node/mesh/helpers.js'

test('nodes with the same swarm key share entries; a node with another key or none never joins', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'four gmesh processes on a shared 2-core machine')
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-swarm-key-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const meshKey = path.join(dir, 'mesh.key')
  const otherKey = path.join(dir, 'other.key')
  for (const file of [meshKey, otherKey]) {
    const made = await runGmesh(t, ['keygen', file])
    t.is(made.code, 0, made.stderr)
  }

  const a = await startMeshNode(t, ['--swarm-key', meshKey])
  const alone = await statusText(t, a.dataDir)
  t.regex(alone, /^hint {5}mDNS is off and no --bootstrap was given: this node finds no peers/m, 'alone, A says why')
  t.true(alone.includes(`\naddress  ${bootstrapAddress(a)}`), 'and shows the address others bootstrap with')
  const seed = ['--bootstrap', bootstrapAddress(a)]
  // The outsiders start first: they get at least as long to join as the member that does join.
  const stranger = await startMeshNode(t, ['--swarm-key', otherKey, ...seed])
  const keyless = await startMeshNode(t, seed)
  const b = await startMeshNode(t, ['--swarm-key', meshKey, ...seed])

  await awaitPeers(b, [a.info.peerId])
  await awaitPeers(a, [b.info.peerId])
  const { key, body, put, got } = await putAndFetch(a, b)
  t.is(put, 200)
  t.is(got.status, 200, 'a member with the key fetches the entry from A')
  t.true(got.body.equals(body))
  t.is((await meshStatus(b)).sharing.peerHits, 1)

  for (const [name, outsider] of [['other key', stranger], ['no key', keyless]] as const) {
    const status = await meshStatus(outsider)
    t.deepEqual(status.peers, [], `the node with ${name} has no peers`)
    t.is((await cacheGet(outsider, key)).status, 404, `the node with ${name} cannot get A's entry`)
    t.is((await meshStatus(outsider)).sharing.peerHits, 0)
  }
  const members = (await meshStatus(a)).peers.map(peer => peer.peerId)
  t.deepEqual(members, [b.info.peerId], 'A lists only the member with the key')

  for (const [name, outsider, hint] of [
    ['other key', stranger, /^hint {5}\d+ connections? failed in the private-network handshake: do both nodes use the same --swarm-key\?$/m],
    ['no key', keyless, /^hint {5}\d+ connections? failed in the private-network handshake: the other nodes use a --swarm-key and this one none\?/m]
  ] as const) {
    const status = await awaitStatus(outsider, `the node with ${name} counts its failed handshakes`, s => (s.connectivity?.failures.handshake.outbound ?? 0) >= 1)
    t.like(status.connectivity, { privateMesh: name === 'other key', mdns: false, bootstrap: 1, failures: { unreachable: 0 } })
    const info = await (await NodeClient.connect(outsider.dataDir)).node()
    t.true((info.connectivity?.failures.handshake.outbound ?? 0) >= 1, 'the control API\'s node info has the counts too')
    t.regex(await statusText(t, outsider.dataDir), hint, `gmesh status of the node with ${name} says why it has no peers`)
  }
  await awaitStatus(a, 'A counts the outsiders\' failed connections', s => (s.connectivity?.failures.handshake.inbound ?? 0) >= 2)
  t.notRegex(await statusText(t, a.dataDir), /^hint/m, 'A has a peer: no hint')
})

async function statusText (t: ExecutionContext, dataDir: string): Promise<string> {
  const result = await runGmesh(t, ['status', '--data', dataDir])
  if (result.code !== 0) throw new Error(`gmesh status failed: ${result.stderr}`)
  return result.stdout
}
