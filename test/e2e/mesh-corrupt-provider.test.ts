import test from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Mesh } from '../../node/mesh/mesh.js'
import { ContentStore } from '../../src/cas/store.js'
import { silentLogger } from '../../src/config/logger.js'
import { awaitPeers, awaitStatus, bootstrapAddress, cacheGet, cachePut, meshStatus, randomKey, startMeshNode } from '../node/mesh/helpers.js'

/**
 * A mesh node whose store lies: it holds and announces real entries (validly signed records)
 * but serves other bytes of the same size for every fetch.
 */
async function startLyingNode (bootstrap: string): Promise<{ mesh: Mesh, store: ContentStore, stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-liar-'))
  const logger = silentLogger()
  const store = await ContentStore.open({ dir, maxBytes: 64 * 1024 * 1024, logger })
  const honestGet = store.get.bind(store)
  store.get = async (key, options) => {
    const entry = await honestGet(key, options)
    if (entry == null) return undefined
    entry.body.destroy()
    return { meta: entry.meta, body: Readable.from([randomBytes(entry.meta.size)]) }
  }
  const mesh = new Mesh({ privateKey: await generateKeyPair('Ed25519'), store, logger }, {
    listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [bootstrap], mdns: false, slots: 0, maxEntryBytes: 64 * 1024 * 1024
  })
  await mesh.start()
  return {
    mesh,
    store,
    stop: async () => {
      await mesh.stop()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

test('a provider serving wrong bytes under a valid record is rejected and penalised; nothing corrupt is ever served', async t => {
  t.timeout(120_000, 'three mesh nodes on a shared 2-core machine')
  const honest = await startMeshNode(t)
  const liar = await startLyingNode(bootstrapAddress(honest))
  t.teardown(liar.stop)
  const b = await startMeshNode(t, ['--bootstrap', bootstrapAddress(honest)])
  await awaitPeers(b, [honest.info.peerId, liar.mesh.peerId])

  const onlyLiar = { key: randomKey(), body: randomBytes(20_000) }
  const both = { key: randomKey(), body: randomBytes(30_000) }
  for (const entry of [onlyLiar, both]) {
    const meta = await liar.store.put(entry.key, entry.body)
    await liar.mesh.cache?.onLocalPut(meta)
  }
  t.is(await cachePut(honest, both.key, both.body), 200)
  await awaitStatus(b, 'B indexed the liar\'s two records and the honest one', status => status.sharing.protocol.providerClaims >= 3)

  const refused = await cacheGet(b, onlyLiar.key)
  t.is(refused.status, 404, 'the only provider served wrong bytes: B answers 404')
  const afterLie = await meshStatus(b)
  t.is(afterLie.sharing.corruptRejected, 1, 'the wrong bytes were caught while streaming')
  t.true(afterLie.sharing.penalised >= 1, 'the liar was penalised')
  t.is(afterLie.sharing.peerHits, 0)
  t.is(afterLie.cache.entries, 0, 'nothing of the lie was stored')

  const fetched = await cacheGet(b, both.key)
  t.is(fetched.status, 200, 'an entry the honest node also holds is fetched from it')
  t.true(fetched.body.equals(both.body), 'with the producer\'s exact bytes')
  const again = await cacheGet(b, both.key)
  t.true(again.body.equals(both.body), 'and served from B\'s store afterwards')
  t.is((await cacheGet(b, onlyLiar.key)).status, 404, 'the lie is still not served')
  const end = await meshStatus(b)
  t.is(end.sharing.corruptRejected, 1, 'no second lie was taken (the liar is penalised, the miss remembered)')
  t.is(end.sharing.peerHits, 1)
  t.is(end.cache.entries, 1)
})
