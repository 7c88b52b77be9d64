import test from 'ava'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describePeers, type PeerRow } from '../../src/cli/commands/peers.js'
import { runGmesh } from '../helpers/gmesh-node.js'
import { awaitPeers, bootstrapAddress, MESH_TEST_TIMEOUT_MS, startMeshNode, swarmKeyArgs } from '../node/mesh/helpers.js'

test('gmesh peers lists the live peers of a running node, as a table and as JSON', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'two gmesh processes on a shared 2-core machine')
  const key = await swarmKeyArgs(t)
  const a = await startMeshNode(t, ['--accept-builds', '--slots', '3', ...key])
  const b = await startMeshNode(t, ['--bootstrap', bootstrapAddress(a), ...key])
  await awaitPeers(b, [a.info.peerId])

  const json = await runGmesh(t, ['peers', '--data', b.dataDir, '--json'])
  t.is(json.code, 0, json.stderr)
  const peers = JSON.parse(json.stdout) as PeerRow[]
  t.is(peers.length, 1)
  const seen = peers[0]!
  t.is(seen.peerId, a.info.peerId)
  t.true(seen.connected)
  t.is(typeof seen.status, 'string')
  t.is(seen.load.capacity, 3, 'the load A gossips: its three build slots')
  t.is(seen.load.running, 0)

  const table = await runGmesh(t, ['peers', '--data', b.dataDir])
  t.is(table.code, 0, table.stderr)
  const [header, row, ...rest] = table.stdout.trimEnd().split('\n')
  t.regex(header ?? '', /^PEER\s+STATUS\s+CONNECTED\s+RTT\s+LOAD\s+CACHE$/)
  t.regex(row ?? '', new RegExp(`^${a.info.peerId}\\s+(alive|suspect)\\s+yes\\s+(-|[\\d.]+ ms)\\s+0/3 running\\s+`))
  t.deepEqual(rest, [])
})

test('gmesh peers says so when a node has no peers, and fails with exit 1 when no node runs', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const lonely = await startMeshNode(t)
  const none = await runGmesh(t, ['peers', '--data', lonely.dataDir])
  t.is(none.code, 0, none.stderr)
  t.regex(none.stdout, /^no live peers/)
  t.is((await runGmesh(t, ['peers', '--data', lonely.dataDir, '--json'])).stdout, '[]\n')

  const empty = await mkdtemp(path.join(tmpdir(), 'gmesh-no-node-'))
  t.teardown(async () => { await rm(empty, { recursive: true, force: true }) })
  const missing = await runGmesh(t, ['peers', '--data', empty])
  t.is(missing.code, 1)
  t.regex(missing.stderr, /not running|no node|gmesh up/i)
})

test('the table shows round-trip time, queued work and cache size when the node knows them', t => {
  const text = describePeers([
    { peerId: '12D3KooWA', status: 'alive', connected: true, rttMs: 1.5, load: { capacity: 4, running: 2, queued: 3, cacheBytes: 1536 } },
    { peerId: '12D3KooWLonger', status: 'suspect', connected: false, load: { capacity: 0, running: 0, queued: 0, cacheBytes: 0 } }
  ])
  t.deepEqual(text.split('\n'), [
    'PEER            STATUS   CONNECTED  RTT     LOAD                   CACHE',
    '12D3KooWA       alive    yes        1.5 ms  2/4 running, 3 queued  1.5 KiB',
    '12D3KooWLonger  suspect  no         -       no builds              0 B',
    ''
  ])
})
