import test from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { BlobServer } from '../../../node/mesh/blob-transfer.js'
import { snapshotSource } from '../../../node/jobs/snapshot-source.js'
import { silentLogger } from '../../../src/config/logger.js'
import { fetchManifest, fetchMissing, materialise } from '../../../src/snapshot/index.js'
import { openStore, pinnedSnapshot, tempDir } from '../../snapshot/helpers.js'
import { addressOf, startNode } from '../libp2p/helpers.js'

test('a worker fetches a snapshot by SHA-256 from its submitter although a Gradle PUT there used the same hex as a key', async t => {
  const { store: submitterStore, snapshot } = await pinnedSnapshot(t)
  const fileSha = snapshot.manifest.entries.find(e => e.path === 'src/A.java')
  if (fileSha?.type !== 'file') throw new Error('the snapshot lacks src/A.java')
  // what the HTTP cache does with a Gradle PUT to /cache/<hex>, for the manifest's hex and a file's
  for (const key of [snapshot.id, fileSha.sha256]) await submitterStore.put(key, Buffer.from(`gradle entry ${key}`))

  const submitter = await startNode(t)
  const server = new BlobServer({ libp2p: submitter, store: submitterStore, logger: silentLogger(), onPush: async () => { throw new Error('no pushes here') } })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const worker = await startNode(t)
  await worker.dial(multiaddr(addressOf(submitter)))

  const workerStore = await openStore(t)
  const source = snapshotSource(worker, submitter.peerId.toString())
  const manifest = await fetchManifest(snapshot.id, workerStore, source)
  t.deepEqual(manifest, snapshot.manifest)
  t.like(await fetchMissing(manifest, workerStore, source), { fetched: 2, present: 0 })
  const workspace = path.join(await tempDir(t), 'ws')
  await materialise(manifest, workerStore, workspace)
  t.is(await readFile(path.join(workspace, 'src/A.java'), 'utf8'), 'class A {}\n')
})
