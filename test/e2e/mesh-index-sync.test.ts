import test from 'ava'
import { randomBytes } from 'node:crypto'
import { awaitPeers, awaitStatus, bootstrapAddress, cachePut, MESH_TEST_TIMEOUT_MS, randomKey, startMeshNode } from '../node/mesh/helpers.js'

const ENTRIES = 1300

// A node that joins late asks a peer for its index: 1,300 claims are 11 pages. Sent at once, every page past the
// asker's limit of 8 streams per peer was reset, the last one among them: the newcomer got 1,152 claims and never
// counted itself synced.
test('a node that joins late learns every one of 1,300 entries from its index sync and counts itself synced', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS)
  const a = await startMeshNode(t)
  const keys = Array.from({ length: ENTRIES }, () => randomKey())
  for (let i = 0; i < keys.length; i += 16) {
    const statuses = await Promise.all(keys.slice(i, i + 16).map(async key => await cachePut(a, key, randomBytes(64))))
    if (statuses.some(status => status !== 200)) return t.fail(`a PUT failed: ${statuses.join(', ')}`)
  }

  const d = await startMeshNode(t, ['--bootstrap', bootstrapAddress(a)])
  await awaitPeers(d, [a.info.peerId])
  const status = await awaitStatus(d, 'D learnt A\'s index', s => s.sharing.protocol.indexedKeys >= ENTRIES && synced(s), { withinMs: 30_000 })
    .catch((err: unknown) => { t.log((err as Error).message.slice(0, 600)); return undefined })
  t.truthy(status, 'D indexed every entry of A and is synced')
})

function synced (status: { sharing: { protocol: object } }): boolean {
  return (status.sharing.protocol as { synced?: boolean }).synced === true
}
