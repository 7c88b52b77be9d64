import test from 'ava'
import type { Mesh } from '../../../node/mesh/mesh.js'
import { loopbackAddress, startMeshInProcess, startNodeInProcess } from './in-process-mesh.js'

/** Reads `mesh`'s membership counters every 100 ms (they say nothing when they change) until `accept` holds, up to 20 s. */
async function awaitStats (mesh: Mesh, accept: (s: NonNullable<Mesh['membershipStats']>) => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const stats = mesh.membershipStats
    if (stats != null && accept(stats)) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return false
}

test('a mesh counts the membership messages it took: the other node\'s probes as frames, its heartbeats as gossip', async t => {
  const a = await startMeshInProcess(t, 'gmesh-membership-stats-a-')
  t.deepEqual(a.membershipStats, { frames: 0, gossip: 0, heartbeats: 0, staleBeats: 0, rejected: 0 })
  await startNodeInProcess(t, 'gmesh-membership-stats-b-', { bootstrap: [loopbackAddress(a)] })
  t.true(await awaitStats(a, s => s.frames > 0 && s.heartbeats > 0), `last: ${JSON.stringify(a.membershipStats)}`)
  const s = a.membershipStats!
  t.true(s.gossip >= s.heartbeats)
  t.is(s.rejected, 0)
})
