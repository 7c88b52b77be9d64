import type { NodeInfo } from './gmesh-node.js'
import type { BuildVariant } from './gradle-variants.js'

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
