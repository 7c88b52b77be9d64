import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { EventBus, NodeEvent } from '../events/event-bus.js'

const EVENT_LOOP_SAMPLE_MS = 100

/** Figures read at scrape time (gauges that are cheaper to read than to track). */
export interface MetricsSources {
  peers: () => number
  cache: () => { entries: number, bytes: number, maxBytes: number, evictions: number }
  /** Entry bytes this node has served to peers. */
  servedToPeersBytes: () => number
}

/**
 * From 100 µs, where local hits and mesh-wide misses answer, to 30 s, past the 27 s deadline of a GET
 * waiting on peers (Gradle gives up at 30 s): a hit 5x slower, or GETs near the deadline, show.
 */
const SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The node's Prometheus metrics (`/metrics`), fed by the event bus: cache hits and misses by source,
 * bytes in and out, fetch and GET latency, peers, units and elections (zero until distributed
 * builds exist), rejected messages by reason. One registry per node, so tests can run several.
 */
export class NodeMetrics {
  readonly registry = new Registry()
  private readonly lookups: Counter<'source' | 'result'>
  private readonly bytes: Counter<'direction' | 'via'>
  private readonly getSeconds: Histogram<'source'>
  private readonly fetchSeconds: Histogram<'result'>
  private readonly rejected: Counter<'topic' | 'reason'>
  private readonly peerChanges: Counter<'change'>
  private readonly units: Counter<'outcome'>
  private readonly elections: Counter
  private readonly gcs: Counter
  private unsubscribe?: () => void

  constructor (private readonly sources: MetricsSources, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry]
    this.lookups = new Counter({ name: 'gmesh_cache_lookups_total', help: 'Cache lookups of Gradle GETs: the local store first, then peers on a local miss', labelNames: ['source', 'result'], registers })
    this.bytes = new Counter({ name: 'gmesh_bytes_total', help: 'Entry bytes by direction (in, out) and path (gradle: HTTP cache, peer: mesh fetch)', labelNames: ['direction', 'via'], registers })
    this.getSeconds = new Histogram({ name: 'gmesh_cache_get_seconds', help: 'Latency of Gradle cache GETs up to the headers, by source', labelNames: ['source'], buckets: SECONDS, registers })
    this.fetchSeconds = new Histogram({ name: 'gmesh_peer_fetch_seconds', help: 'Latency of blob fetches from peers, by result', labelNames: ['result'], buckets: SECONDS, registers })
    this.rejected = new Counter({ name: 'gmesh_messages_rejected_total', help: 'Gossip messages rejected by topic and reason', labelNames: ['topic', 'reason'], registers })
    this.peerChanges = new Counter({ name: 'gmesh_peer_changes_total', help: 'Peers that came up or went down', labelNames: ['change'], registers })
    this.units = new Counter({ name: 'gmesh_units_total', help: 'Build units by outcome (run, stolen, requeued)', labelNames: ['outcome'], registers })
    this.elections = new Counter({ name: 'gmesh_elections_total', help: 'Job leader elections this node took part in', registers })
    this.gcs = new Counter({ name: 'gmesh_cache_gc_total', help: 'Cache garbage collections run', registers })
    for (const outcome of ['run', 'stolen', 'requeued']) this.units.inc({ outcome }, 0)
    this.elections.inc(0)
    for (const change of ['up', 'down']) this.peerChanges.inc({ change }, 0)
    for (const source of ['local', 'peer']) for (const result of ['hit', 'miss']) this.lookups.inc({ source, result }, 0)
    this.registerGauges(registers)
    if (options.defaultMetrics !== false) {
      // prom-client samples event loop lag every 10 ms by default: 100 wakeups a second cost an idle node about 15%
      // of its CPU (measured in a 3-node mesh); every 100 ms still shows any stall a user would notice.
      collectDefaultMetrics({ register: this.registry, prefix: 'gmesh_process_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS })
    }
  }

  private registerGauges (registers: Registry[]): void {
    const { peers, cache, servedToPeersBytes } = this.sources
    new Counter({ name: 'gmesh_peer_served_bytes_total', help: 'Entry bytes served to peers over the mesh', registers, collect () { this.reset(); this.inc(servedToPeersBytes()) } })
    new Gauge({ name: 'gmesh_peers', help: 'Live peers in the membership view', registers, collect () { this.set(peers()) } })
    new Gauge({ name: 'gmesh_cache_entries', help: 'Entries in the local cache', registers, collect () { this.set(cache().entries) } })
    new Gauge({ name: 'gmesh_cache_bytes', help: 'Bytes in the local cache', registers, collect () { this.set(cache().bytes) } })
    new Gauge({ name: 'gmesh_cache_max_bytes', help: 'Size budget of the local cache', registers, collect () { this.set(cache().maxBytes) } })
    new Counter({ name: 'gmesh_cache_evictions_total', help: 'Entries evicted to keep the local cache within its budget', registers, collect () { this.reset(); this.inc(cache().evictions) } })
  }

  /** Counts every later event of `bus`. */
  attach (bus: EventBus): void {
    this.unsubscribe?.()
    this.unsubscribe = bus.subscribe(event => { this.observe(event) })
  }

  detach (): void {
    this.unsubscribe?.()
    this.unsubscribe = undefined
  }

  observe (event: NodeEvent): void {
    switch (event.type) {
      case 'cache-get':
        this.countLookup(event.source)
        if (event.source !== 'miss') this.bytes.inc({ direction: 'out', via: 'gradle' }, event.bytes)
        this.getSeconds.observe({ source: event.source }, event.ms / 1000)
        break
      case 'cache-put': this.bytes.inc({ direction: 'in', via: 'gradle' }, event.bytes); break
      case 'peer-fetch':
        this.fetchSeconds.observe({ result: event.result }, event.ms / 1000)
        if (event.result === 'ok') this.bytes.inc({ direction: 'in', via: 'peer' }, event.bytes)
        break
      case 'message-rejected': this.rejected.inc({ topic: event.topic, reason: event.reason }); break
      case 'peer-up': this.peerChanges.inc({ change: 'up' }); break
      case 'peer-down': this.peerChanges.inc({ change: 'down' }); break
      case 'cache-gc': this.gcs.inc(); break
      case 'job': break
      case 'unit': this.units.inc({ outcome: 'run' }); break
      case 'units-requeued': this.units.inc({ outcome: 'requeued' }, event.units); break
      case 'units-stolen': this.units.inc({ outcome: 'stolen' }, event.units); break
      case 'leading': this.elections.inc(); break
    }
  }

  /** A local hit; or a local miss, then a hit or a miss on peers. */
  private countLookup (source: 'local' | 'peer' | 'miss'): void {
    this.lookups.inc({ source: 'local', result: source === 'local' ? 'hit' : 'miss' })
    if (source !== 'local') this.lookups.inc({ source: 'peer', result: source === 'peer' ? 'hit' : 'miss' })
  }

  async text (): Promise<string> { return await this.registry.metrics() }
  get contentType (): string { return this.registry.contentType }
}
