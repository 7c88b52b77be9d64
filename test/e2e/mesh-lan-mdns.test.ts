import test from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawnNode, type NodeProcess } from '../../src/client/node-process.js'
import { createLan, lanUnavailable } from '../helpers/netns-lan.js'
import { MESH_TEST_TIMEOUT_MS, randomKey, type MeshStatus } from '../node/mesh/helpers.js'

// Two laptops on one LAN: each in its own network namespace, joined by a link. The nodes run as a user
// starts them, with no bootstrap address and mDNS on; only multicast DNS can tell them of each other.
const unavailable = await lanUnavailable()
const lanTest = unavailable === undefined ? test : test.skip

lanTest(`two machines on one LAN find each other by mDNS with no configuration, and a GET on one gets the other's entry${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`, async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'two gmesh processes on a shared 2-core machine')
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-lan-'))
  const lan = await createLan()
  const nodes: NodeProcess[] = []
  t.teardown(async () => {
    for (const node of nodes) await node.kill()
    await lan.remove()
    await rm(dir, { recursive: true, force: true })
  })
  for (const [i, host] of lan.hosts.entries()) {
    // The defaults of `gmesh up`, spelled out: cache on 127.0.0.1:5071, peers on every interface at 5072, mDNS on.
    nodes.push(await spawnNode({ dataDir: path.join(dir, `host-${i}`), launcher: host.launcher, http: '127.0.0.1:5071', args: ['--listen', '/ip4/0.0.0.0/tcp/5072'] }))
  }
  const [a, b] = nodes as [NodeProcess, NodeProcess]
  const [hostA, hostB] = lan.hosts
  t.true(a.info.multiaddrs.some(address => address.startsWith(`/ip4/${hostA.address}/tcp/5072`)), `A listens on its LAN address: ${a.info.multiaddrs.join(', ')}`)

  const key = randomKey()
  const body = randomBytes(5000)
  await writeFile(path.join(dir, 'entry'), body)
  t.deepEqual(await lan.client(hostA, ['put', a.dataDir, key, path.join(dir, 'entry')]), { status: 200 })
  const seen = await lan.client(hostB, ['await', b.dataDir, a.info.peerId, '1']) as MeshStatus
  t.true(seen.peers.some(peer => peer.peerId === a.info.peerId && peer.connected), 'B found A by mDNS alone')

  t.deepEqual(await lan.client(hostB, ['get', b.dataDir, key, path.join(dir, 'fetched')]), { status: 200, bytes: body.byteLength })
  t.true((await readFile(path.join(dir, 'fetched'))).equals(body), 'B served A\'s bytes')
  const after = await lan.client(hostB, ['status', b.dataDir]) as MeshStatus
  t.is(after.sharing.peerHits, 1, 'fetched from A over the LAN')
})
