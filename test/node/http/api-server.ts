import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentStore } from '../../../src/cas/store.js'
import { GradleCacheHandler } from '../../../src/gradle/http-cache.js'
import { silentLogger, type Logger } from '../../../src/config/logger.js'
import { ControlApi, type JobsView } from '../../../node/http/control-api.js'
import { NodeHttpServer } from '../../../node/http/server.js'
import { EventBus } from '../../../node/events/index.js'
import { NodeMetrics } from '../../../node/metrics/node-metrics.js'
import { NodeClient } from '../../../src/client/node-client.js'

export const TOKEN = 'b'.repeat(64)

export interface ApiServer { url: string, store: ContentStore, events: EventBus, metrics: NodeMetrics, client: NodeClient }

/** A node's HTTP server in this process: a real store, event bus, metrics and control API. */
export async function serveApi (t: { teardown: (fn: () => Promise<void>) => void }, options: { jobs?: JobsView, ringCapacity?: number, cacheMaxBytes?: number, idleSocketMs?: number, logger?: Logger } = {}): Promise<ApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-api-'))
  const logger = options.logger ?? silentLogger()
  const store = await ContentStore.open({ dir, maxBytes: options.cacheMaxBytes ?? 1024 ** 3, logger })
  const events = new EventBus({ capacity: options.ringCapacity ?? 1000 })
  const cache = new GradleCacheHandler({
    store, logger,
    onGet: o => { events.emit({ type: 'cache-get', ...o }) },
    onStored: async meta => { events.emit({ type: 'cache-put', key: meta.key, bytes: meta.size }) }
  })
  const api = new ControlApi({
    token: TOKEN, logger, events,
    status: () => ({ cache: store.stats() }),
    cacheGc: async (_signal, gc) => {
      const result = await store.gc(gc)
      events.emit({ type: 'cache-gc', ...result })
      return result
    },
    cacheVerify: async () => await store.verify(),
    peers: () => [],
    ...(options.jobs == null ? {} : { jobs: options.jobs })
  })
  const metrics = new NodeMetrics({ peers: () => 0, cache: () => store.stats(), servedToPeersBytes: () => 0 }, { defaultMetrics: false })
  metrics.attach(events)
  const http = new NodeHttpServer({ cache, api, logger, metrics }, { host: '127.0.0.1', port: 0, ...(options.idleSocketMs == null ? {} : { idleSocketMs: options.idleSocketMs }) })
  await http.start()
  t.teardown(async () => {
    await http.stop()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { url: http.url, store, events, metrics, client: new NodeClient({ httpUrl: http.url, token: TOKEN }, { retries: 0 }) }
}
