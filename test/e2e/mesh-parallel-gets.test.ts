import test from 'ava'
import { randomBytes } from 'node:crypto'
import {
  awaitPeers, awaitStatus, bootstrapAddress, cacheGet, cachePut, MESH_TEST_TIMEOUT_MS, meshStatus, randomKey, sha256Hex, startMeshNode
} from '../node/mesh/helpers.js'

// Gradle asks the cache once per worker, all at once: parallel GETs of entries only one idle peer holds must all be
// hits. Before, the provider reset every stream past 8 per peer, the asker took the reset for a failed provider,
// answered 404 and remembered the miss (16 GETs of 2 MB: 8 hits; 40 of 500 KB: 8 hits).
test('parallel GETs of entries that one idle peer holds are all hits', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS)
  const a = await startMeshNode(t)
  const b = await startMeshNode(t, ['--bootstrap', bootstrapAddress(a)])
  await awaitPeers(b, [a.info.peerId])

  for (const [count, size] of [[16, 2 * 1024 * 1024], [40, 500 * 1024]] as const) {
    const entries = Array.from({ length: count }, () => ({ key: randomKey(), body: randomBytes(size) }))
    const indexed = (await meshStatus(b)).sharing.protocol.indexedKeys
    for (const { key, body } of entries) t.is(await cachePut(a, key, body), 200)
    await awaitStatus(b, `B indexed A's ${count} entries`, status => status.sharing.protocol.indexedKeys >= indexed + count)
    const got = await Promise.all(entries.map(async ({ key }) => await cacheGet(b, key)))
    const hits = got.filter(answer => answer.status === 200).length
    t.log(`${count} parallel GETs of ${size} bytes: ${hits} hits`)
    if (hits < count) t.log('B:', JSON.stringify((await meshStatus(b)).sharing), 'A:', JSON.stringify((await meshStatus(a)).sharing))
    t.is(hits, count, `every one of ${count} parallel GETs of ${size} bytes is a hit`)
    t.true(got.every((answer, i) => answer.status !== 200 || sha256Hex(answer.body) === sha256Hex(entries[i]?.body ?? new Uint8Array())), 'with the bytes A stored')
  }
})
