import test from 'ava'
import { multiaddr } from '@multiformats/multiaddr'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { BlobServer, fetchBlobBySha256 } from '../../../node/mesh/blob-transfer.js'
import { casFrameCodec } from '../../../protocols/cache/index.js'
import { contentKey } from '../../../src/cas/keys.js'
import type { ContentStore } from '../../../src/cas/store.js'
import { createHash } from 'node:crypto'
import { snapshotSource } from '../../../node/jobs/snapshot-source.js'
import { silentLogger } from '../../../src/config/logger.js'
import { fetchManifest, fetchMissing, materialise } from '../../../src/snapshot/index.js'
import { openStore, pinnedSnapshot, tempDir } from '../../snapshot/helpers.js'
import { addressOf, nextEvent, startNode } from '../libp2p/helpers.js'

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

test('requests that arrive together while the store opens their entries get no more uploads than the limit, the rest busy', async t => {
  const store = await openStore(t)
  const bytes = Buffer.alloc(64 * 1024, 7)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  await store.put(contentKey(sha256), bytes)
  // the store opens no entry until every request waits on it or was answered busy: all of them met the limit by then
  const asked = 4
  let waiting = 0
  let answered = 0
  let release = (): void => {}
  const settled = new Promise<void>(resolve => { release = resolve })
  const check = (): void => { if (waiting + answered === asked) release() }
  const slowStore = {
    get: async (...args: Parameters<ContentStore['get']>) => {
      waiting++
      check()
      await settled
      return await store.get(...args)
    }
  } as unknown as ContentStore
  const provider = await startNode(t)
  const server = new BlobServer({ libp2p: provider, store: slowStore, logger: silentLogger(), onPush: async () => { throw new Error('no pushes here') } }, { maxConcurrentUploads: 2 })
  await server.start()
  t.teardown(async () => { await server.stop() })
  const asker = await startNode(t)
  await asker.dial(multiaddr(addressOf(provider)))

  const signal = AbortSignal.timeout(20_000)
  const responses = await Promise.all(Array.from({ length: asked }, async () => {
    const response = await fetchBlobBySha256(asker, provider.peerId, sha256, { signal, deadlineMs: 20_000, maxBodyBytes: 1024 * 1024 })
    if (!isFound(response.header)) answered++ // busy: the store was not asked for this one
    check()
    return response
  }))
  const statuses = responses.map(r => {
    const frame = casFrameCodec.decode(r.header)
    r.abort()
    return frame.type === 'fetch-response' ? frame.status : frame.type
  })
  t.deepEqual(statuses.sort(), ['busy', 'busy', 'found', 'found'])
  t.like(server.stats, { uploads: 2, busy: 2 })
})

function isFound (header: Uint8Array): boolean {
  const frame = casFrameCodec.decode(header)
  return frame.type === 'fetch-response' && frame.status === 'found'
}

test('a second fetch from a provider goes on the spare stream the first one left', async t => {
  const start = async (): Promise<{ node: Awaited<ReturnType<typeof startNode>>, blobs: BlobServer }> => {
    const node = await startNode(t)
    const blobs = new BlobServer({ libp2p: node, store: await openStore(t), logger: silentLogger(), onPush: async () => { throw new Error('no pushes here') } })
    await blobs.start()
    t.teardown(async () => { await blobs.stop() })
    return { node, blobs }
  }
  const provider = await start()
  const asker = await start()
  await asker.node.dial(multiaddr(addressOf(provider.node)))
  const options = { signal: AbortSignal.timeout(10_000), deadlineMs: 5000, maxBodyBytes: 1024 }
  const spare = nextEvent(asker.blobs.spares, 'ready')
  for (let i = 0; i < 2; i++) {
    const response = await asker.blobs.fetch(provider.node.peerId, 'ab'.repeat(16), options)
    t.like(casFrameCodec.decode(response.header), { type: 'fetch-response', status: 'missing' })
    for await (const _ of response.body) t.fail('a missing entry has no body')
    if (i === 0) await spare
  }
  t.is(asker.blobs.spares.stats.taken, 1)
  t.is(provider.blobs.rpcStats.served, 2)
})
