import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { silentLogger } from '../../src/config/logger.js'
import { ControlApi } from '../../node/http/control-api.js'
import { EventBus } from '../../node/events/index.js'
import { NodeClient } from '../../src/client/node-client.js'
import type { CacheInfo, JobInfo, NodeInfo, PeerInfo } from '../../src/client/api-types.js'

/** What the fake node answers; tests change it between polls. */
export interface FakeNodeState { node: NodeInfo, peers: PeerInfo[], jobs: JobInfo[], cache: CacheInfo }

export interface FakeApi {
  state: FakeNodeState
  events: EventBus
  client: NodeClient
  stop: () => Promise<void>
}

const TOKEN = 'f'.repeat(64)

export function fakePeers (count: number): PeerInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    peerId: `12D3KooWfakepeer${String(i).padStart(5, '0')}`,
    status: i % 17 === 5 ? 'suspect' : 'alive',
    connected: true,
    rttMs: 1 + (i % 9) / 10,
    load: { capacity: 8, running: i % 9, queued: i % 3, cacheBytes: i * 1024 * 1024 },
    addresses: [`/ip4/127.0.0.1/tcp/${40000 + i}`]
  }))
}

export function fakeJob (id: string, units: number, nodes: string[], state: JobInfo['state'] = 'running'): JobInfo {
  const per = Math.ceil(units / Math.max(1, nodes.length))
  const progress = nodes.map((peerId, i) => ({ peerId, total: per, done: Math.min(per, i + 1), running: 1, failed: 0 }))
  return {
    id, state, leader: nodes[0], term: 1, submitter: nodes.at(-1) ?? 'self', startedAt: new Date(0).toISOString(), tasks: ['build'],
    units: { total: units, done: progress.reduce((s, n) => s + n.done, 0), running: nodes.length, queued: 0, failed: 0 }, nodes: progress
  }
}

function baseState (): FakeNodeState {
  return {
    node: {
      peerId: '12D3KooWfakenodeSELF0001', multiaddrs: [], httpUrl: '', cacheUrl: '', pid: 1, version: '0.0.0-fake',
      startedAt: new Date(0).toISOString(), dataDir: '/nowhere', uptimeMs: 1, rssBytes: 1
    },
    peers: [],
    jobs: [],
    cache: {
      store: { entries: 0, bytes: 0, maxBytes: 1024 ** 3, hits: 0, misses: 0 },
      http: { gets: 0, hits: 0, misses: 0, puts: 0, stored: 0 },
      sharing: { peerHits: 0, peerMisses: 0, fetchedBytes: 0, servedBytes: 0 }
    }
  }
}

/** The real control API (routes, token, SSE) over fake node data, on a loopback port. */
export async function startFakeApi (initial: Partial<FakeNodeState> = {}, options: { firstEventId?: number, failedEventPages?: number } = {}): Promise<FakeApi> {
  const state: FakeNodeState = { ...baseState(), ...initial }
  const events = new EventBus(options.firstEventId === undefined ? {} : { firstId: options.firstEventId })
  const api = new ControlApi({
    token: TOKEN, logger: silentLogger(), events,
    status: () => state,
    node: () => state.node,
    peers: () => state.peers,
    cache: () => state.cache,
    jobs: { list: () => state.jobs, units: () => [], cancel: async () => 'unknown' },
    cacheGc: async () => ({ evicted: 0, freedBytes: 0 }),
    cacheVerify: async () => ({ checked: 0, quarantined: 0 })
  })
  let failedEventPages = options.failedEventPages ?? 0 // reads of an events page (not the stream) answered 503 first
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/api\/v1\//, '')
    if (path.startsWith('events') && !path.startsWith('events/stream') && failedEventPages-- > 0) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'busy' }))
      return
    }
    void api.handle(req, res, path)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    state, events,
    client: new NodeClient({ httpUrl, token: TOKEN }, { retries: 0, timeoutMs: 5000 }),
    stop: async () => {
      api.close()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
