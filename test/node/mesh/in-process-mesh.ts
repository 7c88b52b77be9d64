import type { ExecutionContext } from 'ava'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Mesh, type MeshInit } from '../../../node/mesh/mesh.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'

/** A node started in the test's process: its mesh, its store and the directory the store lives in. */
export interface InProcessNode { mesh: Mesh, store: ContentStore, dir: string }

/**
 * A mesh node in the test's process on loopback, with its own store (64 MiB) and `init` over the defaults; stopped
 * (its directory removed) when the test ends.
 */
export async function startNodeInProcess (t: ExecutionContext, dirPrefix: string, init: Partial<MeshInit> = {}): Promise<InProcessNode> {
  const dir = await mkdtemp(path.join(tmpdir(), dirPrefix))
  const store = await ContentStore.open({ dir, maxBytes: 64 * 1024 * 1024, logger: silentLogger() })
  const mesh = new Mesh({ privateKey: await generateKeyPair('Ed25519'), store, logger: silentLogger() }, {
    listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, slots: 0, maxEntryBytes: 64 * 1024 * 1024, ...init
  })
  await mesh.start()
  t.teardown(async () => {
    await mesh.stop()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { mesh, store, dir }
}

/** A mesh node in the test's process on loopback, with its own store; stopped (its directory removed) when the test ends. */
export async function startMeshInProcess (t: ExecutionContext, dirPrefix: string): Promise<Mesh> {
  return (await startNodeInProcess(t, dirPrefix)).mesh
}

/** The node's loopback address with its /p2p/ id, for another node's bootstrap. */
export function loopbackAddress (mesh: Mesh): string {
  const address = mesh.multiaddrs.find(m => m.includes('/ip4/127.0.0.1/'))
  if (address === undefined) throw new Error(`node ${mesh.peerId} has no loopback address`)
  return address.includes('/p2p/') ? address : `${address}/p2p/${mesh.peerId}`
}

/**
 * Waits (up to 20 s) until `mesh` indexed `provider`'s claim of `key` and counts `provider` alive: the claim comes by
 * gossip and the liveness by membership, and neither says when it arrived, so this looks every 100 ms.
 */
export async function awaitClaim (mesh: Mesh, key: string, provider: string): Promise<boolean> {
  const ready = (): boolean => mesh.cache?.protocol.index.has(key, provider) === true &&
    mesh.peerList().some(p => p.peerId === provider && p.status === 'alive')
  for (let i = 0; i < 200 && !ready(); i++) await new Promise(resolve => setTimeout(resolve, 100))
  return ready()
}
