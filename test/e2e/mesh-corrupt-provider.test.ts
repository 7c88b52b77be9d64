import test from 'ava'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { awaitPeers, awaitStatus, bootstrapAddress, cacheGet, cachePut, meshStatus, MESH_TEST_TIMEOUT_MS, randomKey, startMeshNode } from '../node/mesh/helpers.js'
import { holdAndAnnounce, startBentNode, type InProcessNode } from './in-process-node.js'

/** How a lying provider bends the bytes of an entry it holds. */
const LIES = {
  'other bytes of the same size': (size: number) => randomBytes(size),
  'extra bytes after the entry': (size: number) => randomBytes(size + 1)
} satisfies Record<string, (size: number) => Uint8Array>

type Lie = keyof typeof LIES

/** A mesh node that holds and announces real entries (validly signed records) but serves `bend` bytes for every fetch. */
async function startBendingNode (bootstrap: string, bend: (size: number) => Uint8Array): Promise<InProcessNode> {
  return await startBentNode(bootstrap, 'gmesh-liar-', (_key, entry) => {
    entry.body.destroy()
    return { meta: entry.meta, body: Readable.from([bend(entry.meta.size)]) }
  })
}

test('providers serving wrong bytes under valid records are rejected and penalised, one whose body ends short is not; nothing corrupt is ever served', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'two gmesh processes and three bending nodes on a shared 2-core machine')
  const honest = await startMeshNode(t)
  const liars = new Map<Lie, InProcessNode>()
  for (const lie of Object.keys(LIES) as Lie[]) {
    const liar = await startBendingNode(bootstrapAddress(honest), LIES[lie])
    t.teardown(liar.stop)
    liars.set(lie, liar)
  }
  // a body one byte short proves no lie: a provider that crashed or lost its connection ends a body so too
  const cutter = await startBendingNode(bootstrapAddress(honest), size => randomBytes(size - 1))
  t.teardown(cutter.stop)
  const b = await startMeshNode(t, ['--bootstrap', bootstrapAddress(honest)])
  const started = performance.now()
  const step = (what: string): void => { t.log(`${Math.round(performance.now() - started)} ms: ${what}`) }
  await awaitPeers(b, [honest.info.peerId, cutter.mesh.peerId, ...[...liars.values()].map(liar => liar.mesh.peerId)])
  step('B sees the honest node, the liars and the cutter')

  const lied = new Map([...liars.keys()].map(lie => [lie, { key: randomKey(), body: randomBytes(20_000) }]))
  for (const [lie, entry] of lied) await holdAndAnnounce(liars.get(lie)!, entry.key, entry.body)
  const both = { key: randomKey(), body: randomBytes(30_000) }
  await holdAndAnnounce(liars.get('other bytes of the same size')!, both.key, both.body)
  const cut = { key: randomKey(), body: randomBytes(20_000) }
  await holdAndAnnounce(cutter, cut.key, cut.body)
  t.is(await cachePut(honest, both.key, both.body), 200)
  await awaitStatus(b, 'B indexed the liars\' three records, the cutter\'s and the honest one', status => status.sharing.protocol.providerClaims >= 5)
  step('B indexed every record')

  for (const [lie, entry] of lied) {
    const caughtBefore = (await meshStatus(b)).sharing.corruptRejected
    // On a loaded machine a GET can reach its deadline before the lie's bytes arrive: that GET is a plain miss (the
    // liar is not caught yet, nor remembered as holding nothing), so it is asked again, at most three times.
    for (let attempt = 1; ; attempt++) {
      const refused = await cacheGet(b, entry.key)
      t.is(refused.status, 404, `${lie} from the only provider: B answers 404`)
      if ((await meshStatus(b)).sharing.corruptRejected > caughtBefore || attempt === 3) break
      t.log(`${lie}: GET ${attempt} ended before the lie was read; asked again`)
    }
  }
  step('B refused the lies')
  const afterLies = await meshStatus(b)
  t.is(afterLies.sharing.corruptRejected, lied.size, 'each lie was caught while streaming')
  t.true(afterLies.sharing.penalised >= lied.size, 'each liar was penalised')
  t.is(afterLies.sharing.peerHits, 0)
  t.is(afterLies.cache.entries, 0, 'nothing of the lies was stored')

  t.is((await cacheGet(b, cut.key)).status, 404, 'a body cut short from the only provider: B answers 404')
  const afterCut = await meshStatus(b)
  t.is(afterCut.sharing.corruptRejected, lied.size, 'a body cut short is not counted as corrupt')
  t.is(afterCut.sharing.penalised, afterLies.sharing.penalised, 'nor is its provider penalised')
  t.is(afterCut.cache.entries, 0, 'nor any of it stored')

  const fetched = await cacheGet(b, both.key)
  t.is(fetched.status, 200, 'an entry the honest node also holds is fetched from it')
  t.true(fetched.body.equals(both.body), 'with the producer\'s exact bytes')
  // answered from the verified bytes in memory while B's store writes them
  await awaitStatus(b, 'B stored what it fetched', status => status.cache.entries === 1)
  const again = await cacheGet(b, both.key)
  t.true(again.body.equals(both.body), 'and served from B\'s store afterwards')
  for (const entry of lied.values()) t.is((await cacheGet(b, entry.key)).status, 404, 'the lies are still not served')
  const end = await meshStatus(b)
  t.is(end.sharing.corruptRejected, lied.size, 'no second lie was taken (the liars are penalised, the misses remembered)')
  t.is(end.sharing.peerHits, 1)
  t.is(end.cache.entries, 1)
})
