import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Mesh } from '../../node/mesh/mesh.js'
import type { OpenEntry } from '../../src/cas/types.js'
import { ContentStore } from '../../src/cas/store.js'
import { silentLogger } from '../../src/config/logger.js'

/** A mesh node in this test's process, with its own store; `stop` stops both and removes its directory. */
export interface InProcessNode {
  mesh: Mesh
  store: ContentStore
  stop: () => Promise<void>
}

/**
 * Serves an entry the node holds as a misbehaving provider would: the entry as read from its store (verified)
 * in, what a fetching peer gets out. Undefined means the node holds nothing for the key.
 */
export type BendEntry = (key: string, entry: OpenEntry) => OpenEntry | undefined

/**
 * An in-process mesh node on loopback, joined through `bootstrap`, whose store answers the node's own reads through
 * `bend`: it holds and announces real entries under validly signed records, and serves what `bend` makes of them.
 */
export async function startBentNode (bootstrap: string, dirPrefix: string, bend: BendEntry): Promise<InProcessNode> {
  const dir = await mkdtemp(path.join(tmpdir(), dirPrefix))
  const store = await ContentStore.open({ dir, maxBytes: 64 * 1024 * 1024, logger: silentLogger() })
  const honestGet = store.get.bind(store)
  store.get = async (key, options) => {
    const entry = await honestGet(key, options)
    return entry == null ? undefined : bend(key, entry)
  }
  const mesh = new Mesh({ privateKey: await generateKeyPair('Ed25519'), store, logger: silentLogger() }, {
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

/** Stores `body` under `key` in the node's store and announces it with the node's validly signed record. */
export async function holdAndAnnounce (node: InProcessNode, key: string, body: Uint8Array): Promise<void> {
  const meta = await node.store.put(key, body)
  await node.mesh.cache?.onLocalPut(meta)
}
