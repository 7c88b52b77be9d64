import test, { type ExecutionContext } from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawnNode, type NodeProcess } from '../../src/client/node-process.js'
import { runGmesh } from '../helpers/gmesh-node.js'
import { createLan, lanUnavailable, type LanHost, type TestLan } from '../helpers/netns-lan.js'
import { MESH_TEST_TIMEOUT_MS, randomKey, type MeshStatus } from '../node/mesh/helpers.js'

// Laptops on one LAN: each in its own network namespace, all plugged into one switch. The nodes run as a
// user starts them, with no bootstrap address and mDNS on; only multicast DNS can tell them of each other.
const unavailable = await lanUnavailable()
const lanTest = unavailable === undefined ? test : test.skip
const skipped = unavailable === undefined ? '' : ` (skipped: ${unavailable})`

interface Office { lan: TestLan, dir: string, nodes: NodeProcess[] }

/** A LAN of `count` hosts and a scratch dir, torn down (nodes killed by pid first) when the test ends. */
async function office (t: ExecutionContext, count: number): Promise<Office> {
  t.timeout(MESH_TEST_TIMEOUT_MS, `${count} gmesh processes on a shared 2-core machine`)
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-lan-'))
  const lan = await createLan(count)
  const nodes: NodeProcess[] = []
  t.teardown(async () => {
    for (const node of nodes) await node.kill()
    await lan.remove()
    await rm(dir, { recursive: true, force: true })
  })
  return { lan, dir, nodes }
}

/** `gmesh up` on `host` with its defaults spelled out (cache on 127.0.0.1:5071, peers on every interface at 5072, mDNS on). */
async function startOn (o: Office, host: LanHost, args: string[] = []): Promise<NodeProcess> {
  const node = await spawnNode({ dataDir: path.join(o.dir, host.namespace), launcher: host.launcher, http: '127.0.0.1:5071', args: ['--listen', '/ip4/0.0.0.0/tcp/5072', ...args] })
  o.nodes.push(node)
  return node
}

/** PUTs a random 5,000-byte entry on `host`'s node; resolves to its key and bytes. */
async function putEntry (o: Office, host: LanHost, node: NodeProcess): Promise<{ key: string, body: Buffer }> {
  const key = randomKey()
  const body = randomBytes(5000)
  const file = path.join(o.dir, `${key}.put`)
  await writeFile(file, body)
  const put = await o.lan.client(host, ['put', node.dataDir, key, file]) as { status: number }
  if (put.status !== 200) throw new Error(`PUT on ${host.namespace} answered ${put.status}`)
  return { key, body }
}

/** GETs `key` through `host`'s node: the status and the bytes. */
async function getEntry (o: Office, host: LanHost, node: NodeProcess, key: string): Promise<{ status: number, body: Buffer }> {
  const file = path.join(o.dir, `${key}.${host.namespace}`)
  const got = await o.lan.client(host, ['get', node.dataDir, key, file]) as { status: number }
  return { status: got.status, body: await readFile(file) }
}

lanTest(`two machines on one LAN find each other by mDNS with no configuration, and a GET on one gets the other's entry${skipped}`, async t => {
  const o = await office(t, 2)
  const [hostA, hostB] = o.lan.hosts as [LanHost, LanHost]
  const a = await startOn(o, hostA)
  const b = await startOn(o, hostB)
  t.true(a.info.multiaddrs.some(address => address.startsWith(`/ip4/${hostA.address}/tcp/5072`)), `A listens on its LAN address: ${a.info.multiaddrs.join(', ')}`)

  const { key, body } = await putEntry(o, hostA, a)
  const seen = await o.lan.client(hostB, ['await', b.dataDir, a.info.peerId, '1']) as MeshStatus
  t.true(seen.peers.some(peer => peer.peerId === a.info.peerId && peer.connected), 'B found A by mDNS alone')
  const got = await getEntry(o, hostB, b, key)
  t.is(got.status, 200)
  t.true(got.body.equals(body), 'B served A\'s bytes')
  const after = await o.lan.client(hostB, ['status', b.dataDir]) as MeshStatus
  t.is(after.sharing.peerHits, 1, 'fetched from A over the LAN')
})

lanTest(`on a LAN shared with another team's mesh, mDNS introduces everyone but only nodes with the same swarm key connect${skipped}`, async t => {
  const o = await office(t, 3)
  const [hostA, hostB, hostC] = o.lan.hosts as [LanHost, LanHost, LanHost]
  const ours = path.join(o.dir, 'ours.key')
  const theirs = path.join(o.dir, 'theirs.key')
  for (const file of [ours, theirs]) t.is((await runGmesh(t, ['keygen', file])).code, 0)
  // The other team's node starts first: it hears of A and B by mDNS as soon as they come up.
  const c = await startOn(o, hostC, ['--swarm-key', theirs])
  const a = await startOn(o, hostA, ['--swarm-key', ours])
  const b = await startOn(o, hostB, ['--swarm-key', ours])

  const { key, body } = await putEntry(o, hostA, a)
  await o.lan.client(hostB, ['await', b.dataDir, a.info.peerId, '1'])
  const got = await getEntry(o, hostB, b, key)
  t.is(got.status, 200, 'B, with the same key, gets A\'s entry')
  t.true(got.body.equals(body))

  // mDNS told A of C: A dialled it, and the handshake failed on the swarm key.
  const heard = await o.lan.client(hostA, ['await-failed-dial', a.dataDir]) as { discovery: { failedDials: number, lastDialError: string } }
  t.log(`A could not connect to what mDNS told it of: ${heard.discovery.failedDials} failed dials, last: ${heard.discovery.lastDialError}`)
  const atC = await o.lan.client(hostC, ['status', c.dataDir]) as MeshStatus
  t.deepEqual(atC.peers, [], 'the other team\'s node has no peers')
  t.is((await getEntry(o, hostC, c, key)).status, 404, 'and cannot get the entry')
  for (const [name, node, host] of [['A', a, hostA], ['B', b, hostB]] as const) {
    const status = await o.lan.client(host, ['status', node.dataDir]) as MeshStatus
    t.deepEqual(status.peers.map(peer => peer.peerId), [name === 'A' ? b.info.peerId : a.info.peerId], `${name} lists only its own mesh`)
  }
})
