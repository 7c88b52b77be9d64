import test from 'ava'
import { randomBytes } from 'node:crypto'
import { cachePut, meshStatus, randomKey, startMeshNode } from '../node/mesh/helpers.js'

// An entry the store evicts is no longer offered: not re-announced every few hours, not handed to a late
// joiner's index sync. Before, every evicted entry stayed "held" and sent each asker to a node that lacks it.
test('entries a node evicts to keep its cache budget are no longer offered to the mesh', async t => {
  const node = await startMeshNode(t, ['--cache-max', '1MiB'])
  for (let i = 0; i < 5; i++) t.is(await cachePut(node, randomKey(), randomBytes(400 * 1024)), 200)
  const status = await meshStatus(node)
  t.is(status.cache.entries, 2, 'two 400 KiB entries fit in 1 MiB')
  t.is(status.sharing.protocol.heldRecords, 2, 'and only those two are offered')
})
