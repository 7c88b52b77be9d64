import test from 'ava'
import type { ExecutionContext } from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { Mesh, type MeshInit } from '../../../node/mesh/mesh.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'
import { loopbackAddress } from './in-process-mesh.js'

/** One run of a node on `dataDir` (its store in `cas/`, its replica backlog beside it), stopped by `stop` or the teardown. */
interface Run { mesh: Mesh, store: ContentStore, stop: () => Promise<void> }

const REPLICAS: Partial<MeshInit> = { cache: { replication: { replicas: 1 } } }

async function dataDir (t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-resume-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

async function openStore (dir: string): Promise<ContentStore> {
  return await ContentStore.open({ dir: path.join(dir, 'cas'), maxBytes: 64 * 1024 * 1024, logger: silentLogger() })
}

async function startRun (t: ExecutionContext, dir: string, privateKey: PrivateKey, init: Partial<MeshInit> = {}): Promise<Run> {
  const store = await openStore(dir)
  const mesh = new Mesh({ privateKey, store, logger: silentLogger() }, {
    listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, slots: 0, maxEntryBytes: 64 * 1024 * 1024,
    replicaBacklogFile: path.join(dir, 'replica-backlog.json'), ...REPLICAS, ...init
  })
  await mesh.start()
  let stopped: Promise<void> | undefined
  const stop = async (): Promise<void> => { stopped ??= mesh.stop().then(async () => { await store.close() }); await stopped }
  t.teardown(stop)
  return { mesh, store, stop }
}

/** Stores `body` under `key` as a Gradle PUT at `run` (signed, announced, offered to its replicas). */
async function gradlePut (run: Run, key: string, body: Uint8Array): Promise<string> {
  const meta = await run.store.put(key, body)
  await run.mesh.cache?.onLocalPut(meta)
  return meta.sha256
}

function backlogKeys (run: Run): string[] {
  return run.mesh.cache?.protocol.savedReplications().map(s => s.key) ?? []
}

/**
 * Resolves to whether `run`'s store holds `key` with `sha256` within 30 s: the replica stores a pushed entry with no
 * event to await, so this looks every 100 ms.
 */
async function awaitStored (run: Run, key: string, sha256: string): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if ((await run.store.head(key))?.sha256 === sha256) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return false
}

test('a node stopped with entries on no replica yet offers them when started again; those dropped meanwhile it does not', async t => {
  t.timeout(90_000, 'three runs of in-process nodes on a shared 2-core machine')
  const dir = await dataDir(t)
  const key = await generateKeyPair('Ed25519')
  const [kept, evictedWhileDown, droppedWhileUp] = ['a1'.repeat(20), 'b2'.repeat(20), 'c3'.repeat(20)]
  const first = await startRun(t, dir, key)
  const sha256 = await gradlePut(first, kept, randomBytes(32 * 1024))
  await gradlePut(first, evictedWhileDown, randomBytes(16 * 1024))
  await gradlePut(first, droppedWhileUp, randomBytes(16 * 1024))
  await first.store.delete(droppedWhileUp)
  first.mesh.cache?.forgetHeld([droppedWhileUp]) // as the daemon's store.watchDropped does
  t.deepEqual(backlogKeys(first), [kept, evictedWhileDown], 'alone: nowhere to push them yet')
  await first.stop()
  const store = await openStore(dir)
  await store.delete(evictedWhileDown) // `gmesh cache gc` while the node was down
  await store.close()

  const second = await startRun(t, dir, key)
  t.deepEqual(backlogKeys(second), [kept], 'the entry still held is resumed, not those the store let go')
  const replica = await startRun(t, await dataDir(t), await generateKeyPair('Ed25519'), { bootstrap: [loopbackAddress(second.mesh)] })
  t.true(await awaitStored(replica, kept, sha256), 'the restarted node offered its entry to the replica that came up, which pulled it')
  t.is(await replica.store.head(evictedWhileDown), undefined)
})

test('a node whose saved backlog is corrupt starts with an empty one', async t => {
  t.timeout(60_000, 'an in-process node on a shared 2-core machine')
  const dir = await dataDir(t)
  await writeFile(path.join(dir, 'replica-backlog.json'), '{"version":1,"entries":[["a1a1')
  const run = await startRun(t, dir, await generateKeyPair('Ed25519'))
  t.deepEqual(backlogKeys(run), [])
  const entry = 'd4'.repeat(20)
  await gradlePut(run, entry, randomBytes(1024))
  t.deepEqual(backlogKeys(run), [entry], 'and keeps the backlog as before')
})
