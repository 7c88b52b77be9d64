import { join } from 'node:path'
import { GmeshNode, upHelp, type NodeInfo } from './gmesh-node.js'
import { remoteVariant, type BuildVariant } from './gradle-variants.js'
import { waitFor } from './net.js'

/** A cache a build can be pointed at, set up before and torn down after each build. */
export interface CacheUnderTest {
  name: string
  /** Seeded by one build of its own before the warm rounds (a mesh peer gets its entries from its provider). */
  seed: boolean
  /** A failure leaves this cache out of the remaining rounds instead of failing the benchmark. */
  optional?: boolean
  acquire: () => Promise<BuildVariant>
  release: () => Promise<void>
}

export function fixedCache (variant: BuildVariant): CacheUnderTest {
  return { name: variant.name, seed: true, acquire: async () => variant, release: async () => {} }
}

/** A loopback multiaddr of the provider that a bootstrap list accepts (with /p2p/<peerId>). */
export function bootstrapAddress (info: NodeInfo): string | undefined {
  const addr = info.multiaddrs.find((a) => a.includes('/ip4/127.0.0.1/')) ?? info.multiaddrs[0]
  if (addr == null) return undefined
  return addr.includes('/p2p/') ? addr : `${addr}/p2p/${info.peerId}`
}

/**
 * Builds through the mesh: before each build a fresh node (empty cache) joins the provider, so every hit is a
 * peer fetch from the provider; stopped by pid after the build. A reason string when this CLI cannot do it yet.
 */
export async function meshCache (name: string, root: string, provider: NodeInfo): Promise<CacheUnderTest | string> {
  if (!(await upHelp()).includes('--bootstrap')) return 'gmesh up has no --bootstrap yet'
  const address = bootstrapAddress(provider)
  if (address == null) return 'the provider node listens on no multiaddr (node.json multiaddrs is empty)'
  let peer: GmeshNode | undefined
  let count = 0
  return {
    name,
    seed: false,
    optional: true,
    acquire: async () => {
      peer = new GmeshNode(join(root, `mesh-peer-${++count}`), ['--bootstrap', address])
      const info = await peer.start()
      const joined = peer
      await waitFor('the fresh node to see its provider', async () => {
        const status = await joined.status() as { peers?: unknown[] } | undefined
        return (status?.peers?.length ?? 0) > 0 ? true : undefined
      }, { timeoutMs: 30_000, intervalMs: 200 })
      return remoteVariant(name, info.cacheUrl)
    },
    release: async () => { await peer?.stop(); peer = undefined }
  }
}
