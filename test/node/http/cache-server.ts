import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentStore } from '../../../src/cas/store.js'
import { GradleCacheHandler, type CacheGetObservation, type FetchMissing, type ProofOfPut } from '../../../src/gradle/http-cache.js'
import type { BlobStore } from '../../../src/cas/types.js'
import { silentLogger } from '../../../src/config/logger.js'
import { ControlApi } from '../../../node/http/control-api.js'
import { NodeHttpServer } from '../../../node/http/server.js'

export interface Served { url: string, port: number, store: ContentStore, cache: GradleCacheHandler, http: NodeHttpServer, dir: string }

export interface ServeOptions {
  wrap?: (store: BlobStore) => BlobStore
  fetchMissing?: FetchMissing
  onGet?: (observation: CacheGetObservation) => void
  proofOf?: ProofOfPut
  maxEntryBytes?: number
}

/** A node's HTTP server on loopback with a fresh store behind its cache; stopped and removed when the test ends. */
export async function serve (t: { teardown: (fn: () => Promise<void>) => void }, options: ServeOptions = {}): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-http-'))
  const store = await ContentStore.open({ dir, maxBytes: 1024 ** 3, logger: silentLogger() })
  const logger = silentLogger()
  const { wrap, fetchMissing, onGet, proofOf, maxEntryBytes } = options
  const cache = new GradleCacheHandler({
    store: wrap == null ? store : wrap(store), logger, ...(fetchMissing == null ? {} : { fetchMissing }), ...(onGet == null ? {} : { onGet }), ...(proofOf == null ? {} : { proofOf })
  }, maxEntryBytes == null ? {} : { maxEntryBytes })
  const api = new ControlApi({ token: 'a'.repeat(64), logger, status: () => ({ cache: store.stats() }), cacheGc: async () => await store.gc(), cacheVerify: async () => await store.verify() })
  const http = new NodeHttpServer({ cache, api, logger }, { host: '127.0.0.1', port: 0 })
  await http.start()
  t.teardown(async () => {
    await http.stop()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { url: http.url, port: Number(new URL(http.url).port), store, cache, http, dir }
}
