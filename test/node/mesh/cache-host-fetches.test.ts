import test from 'ava'
import { randomBytes } from 'node:crypto'
import { holdAndAnnounce, startBentNode } from '../../e2e/in-process-node.js'
import { awaitClaim, loopbackAddress, startMeshInProcess } from './in-process-mesh.js'

test('a GET right after one whose fetch was called off is served by the same provider: the first fetch\'s end is not taken for the second\'s', async t => {
  t.timeout(60_000, 'two nodes on a shared 2-core machine')
  const asker = await startMeshInProcess(t, 'gmesh-fetches-asker-')
  const cache = asker.cache!
  const provider = await startBentNode(loopbackAddress(asker), 'gmesh-fetches-provider-', (_key, entry) => entry)
  t.teardown(provider.stop)
  const key = 'ef'.repeat(20)
  const bytes = randomBytes(20_000)
  await holdAndAnnounce(provider, key, bytes)
  t.true(await awaitClaim(asker, key, provider.mesh.peerId), 'the asker indexed the provider\'s claim')

  // the provider's first read of the entry hangs until its fetch is called off: no header comes in time
  const read = provider.store.get.bind(provider.store)
  let first = true
  provider.store.get = async (wanted, options) => {
    if (wanted !== key || !first) return await read(wanted, options)
    first = false
    await new Promise((_resolve, reject) => { options?.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }, { once: true }) })
    return undefined
  }
  // the first GET misses once the provider's header is late; the second starts at once, while the first fetch winds down
  t.is(await cache.fetchMissing(key, AbortSignal.timeout(27_000)), false, 'the first GET: the only provider did not answer in time')
  const answer = await cache.fetchMissing(key, AbortSignal.timeout(27_000))
  t.true(answer instanceof Uint8Array && Buffer.from(answer).equals(bytes), 'the second GET gets the entry from the provider')
  t.is(cache.stats.peerHits, 1)
})
