import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Logger } from '../../src/config/logger.js'
import type { MeshLibp2p } from '../libp2p/index.js'

export interface DhtProvidersComponents {
  libp2p: MeshLibp2p
  logger: Logger
}

export interface DhtProvidersInit {
  /** DHT provides walking the mesh at once; more wait in the queue (default 2). */
  concurrency?: number
  /** Keys waiting to be provided; past this the oldest are dropped and counted (default 10,000). */
  maxQueued?: number
}

/** The DHT's content id of a Gradle cache key: its own namespace, so it never names anything else. */
export async function cacheKeyCid (gradleKey: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`gmesh/cache/${gradleKey}`)))
}

/**
 * Provider records of cache keys in the mesh's Kademlia DHT (large meshes only; the cache protocol decides when):
 * provides go through a small queue, since a Gradle build can store hundreds of entries at once and each provide
 * walks the DHT; lookups report each provider as soon as the DHT names it.
 */
export class DhtProviders {
  readonly stats = { provided: 0, provideFailed: 0, provideDropped: 0, lookups: 0, providersFound: 0 }
  private readonly queue: Array<{ key: string, done: (provided: boolean) => void }> = []
  private readonly concurrency: number
  private readonly maxQueued: number
  private running = 0

  constructor (private readonly components: DhtProvidersComponents, private readonly signal: AbortSignal, init: DhtProvidersInit = {}) {
    this.concurrency = init.concurrency ?? 2
    this.maxQueued = init.maxQueued ?? 10_000
  }

  /** Queues a provide of `gradleKey`; resolves whether the DHT took it (false: failed, dropped or stopped). */
  async provide (gradleKey: string): Promise<boolean> {
    if (this.signal.aborted) return false
    const provided = new Promise<boolean>(resolve => { this.queue.push({ key: gradleKey, done: resolve }) })
    if (this.queue.length > this.maxQueued) {
      this.queue.shift()?.done(false)
      this.stats.provideDropped++
    }
    this.pump()
    return await provided
  }

  /** Calls `onProvider` with each provider (other than this node) the DHT names within `withinMs`. */
  async find (gradleKey: string, withinMs: number, onProvider: (peer: string) => void): Promise<void> {
    this.stats.lookups++
    const { libp2p, logger } = this.components
    const signal = AbortSignal.any([this.signal, AbortSignal.timeout(Math.max(0, withinMs))])
    const self = libp2p.peerId.toString()
    try {
      for await (const provider of libp2p.contentRouting.findProviders(await cacheKeyCid(gradleKey), { signal })) {
        const peer = provider.id.toString()
        if (peer === self) continue
        if (provider.multiaddrs.length > 0) await libp2p.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
        this.stats.providersFound++
        onProvider(peer)
      }
    } catch (err) {
      if (!signal.aborted) logger.debug({ err, key: gradleKey }, 'DHT provider lookup failed')
    }
  }

  private pump (): void {
    if (this.signal.aborted) for (const waiting of this.queue.splice(0)) waiting.done(false)
    while (this.running < this.concurrency && this.queue.length > 0) {
      const { key, done } = this.queue.shift()!
      this.running++
      void this.provideNow(key).then(done).finally(() => {
        this.running--
        this.pump()
      })
    }
  }

  private async provideNow (gradleKey: string): Promise<boolean> {
    try {
      await this.components.libp2p.contentRouting.provide(await cacheKeyCid(gradleKey), { signal: this.signal })
      this.stats.provided++
      return true
    } catch (err) {
      if (this.signal.aborted) return false
      this.stats.provideFailed++
      this.components.logger.debug({ err, key: gradleKey }, 'DHT provide failed')
      return false
    }
  }
}
