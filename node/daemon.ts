import { join } from 'node:path'
import { rm } from 'node:fs/promises'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'
import { ContentStore } from '../src/cas/store.js'
import { GcInterruptedError } from '../src/cas/errors.js'
import { DEFAULT_CACHE_MAX } from '../src/cas/store-options.js'
import { DataFiles } from '../src/config/data-dir.js'
import type { HostPort } from '../src/config/parse.js'
import type { Logger } from '../src/config/logger.js'
import { GradleCacheHandler, DEFAULT_MAX_ENTRY_BYTES } from '../src/gradle/http-cache.js'
import { DataDirLock, prepareDataDir, writeJsonAtomic } from './data-dir.js'
import { loadOrCreateIdentity, loadOrCreateToken } from './identity.js'
import { ControlApi, type JobsView } from './http/control-api.js'
import type { JobsHost } from './jobs/jobs-host.js'
import { NodeHttpServer, type NodeHttpHandlers } from './http/server.js'
import { VERSION } from '../src/version.js'
import { processStartTime } from '../src/config/pid.js'
import type { NodeReadyInfo } from '../src/client/node-client.js'
import { listenForPeers, Mesh, type MeshInit } from './mesh/mesh.js'
import type { MeshLibp2p } from './libp2p/index.js'
import { dropUntrustedEntries } from './mesh/untrusted-entries.js'
import { EventBus, firstIdFromClock } from './events/index.js'
import { logJobEvents } from './events/job-log.js'
import { NodeMetrics } from './metrics/node-metrics.js'
import type { CacheInfo, NodeInfo } from '../src/client/api-types.js'
import type { EntryMeta } from '../src/cas/types.js'

export interface DaemonOptions {
  dataDir: string
  http: HostPort
  cacheMaxBytes?: number
  maxEntryBytes?: number
  /** fdatasync every blob before it is indexed (default true); off trades power-loss durability for PUT rate. */
  syncBlobs?: boolean
  /** How the node joins the mesh; without it the node only serves its local cache. */
  mesh?: Omit<MeshInit, 'maxEntryBytes'>
  logger: Logger
}

/** What `DIR/node.json` says once a node is ready (design.md, CLI contract): the clients' type, every field set. */
export type ReadyInfo = Required<Omit<NodeReadyInfo, 'pidStart'>> & Pick<NodeReadyInfo, 'pidStart'>

/**
 * One gmesh node: claims its data directory, loads its identity, opens the store and serves HTTP.
 * `start` undoes what it did when a step fails or its signal aborts it; `stop` releases everything in reverse order.
 */
export class Daemon {
  private readonly undo: Array<() => Promise<void>> = []
  private store?: ContentStore
  private cacheHandler?: GradleCacheHandler
  private mesh?: Mesh
  private ready?: ReadyInfo
  private nodeLogger?: Logger
  /** Everything that happens on this node: the control API's event stream and the metrics read it. */
  readonly events = new EventBus({ firstId: firstIdFromClock() })

  private constructor (private readonly options: DaemonOptions) {}

  /**
   * Starts a node. An aborted `signal` (SIGTERM while starting) stops it after the step under way: what started is
   * stopped, and the call rejects with the signal's reason. The node is ready only if it resolves.
   */
  static async start (options: DaemonOptions, init: AbortOptions = {}): Promise<Daemon> {
    const daemon = new Daemon(options)
    try {
      await daemon.startParts(() => { init.signal?.throwIfAborted() })
    } catch (err) {
      await daemon.stop()
      throw err
    }
    return daemon
  }

  /** The node's logger: every line carries its peer id (the options' logger until the identity is loaded). */
  get logger (): Logger {
    return this.nodeLogger ?? this.options.logger
  }

  get info (): ReadyInfo {
    if (this.ready == null) throw new Error('the node is not ready')
    return this.ready
  }

  /**
   * `checkpoint` throws when the start was called off: between steps, so that each step is undone whole. The listeners
   * come before the store: a port taken or an address not on this machine fails the start before it changed the cache
   * (the start-up eviction to the budget, the entries of producers no longer trusted, cache-budget.json). Until the
   * store is open the HTTP server holds its requests, and libp2p speaks none of the mesh's protocols.
   */
  private async startParts (checkpoint: () => void): Promise<void> {
    const { dataDir } = this.options
    checkpoint()
    await prepareDataDir(dataDir)
    const lock = await DataDirLock.acquire(dataDir)
    this.undo.push(async () => { await lock.release() })
    checkpoint()
    const privateKey = await loadOrCreateIdentity(dataDir)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const logger = this.options.logger.child({ node: peerId })
    this.nodeLogger = logger
    const unlog = logJobEvents(this.events, logger)
    this.undo.push(async () => { unlog() })
    const token = await loadOrCreateToken(dataDir)
    const http = new NodeHttpServer({ logger }, this.options.http)
    await http.start()
    this.undo.push(async () => { await http.stop() }) // a start that fails: nothing was served
    checkpoint()
    const libp2p = await this.listenIfMeshed(privateKey)
    checkpoint()
    const store = await this.openStore(peerId, logger)
    checkpoint()
    const maxEntryBytes = this.options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
    const mesh = await this.startMesh({ privateKey, store, libp2p }, maxEntryBytes, logger)
    checkpoint()
    http.serve(this.httpHandlers(store, mesh, token, maxEntryBytes, logger))
    this.undo.push(async () => { await http.stop() }) // a node that stops: HTTP first, while the store is still open
    await this.writeReadyFile(peerId, http.url)
  }

  /** The mesh's libp2p node, listening; undefined for a node without a mesh. */
  private async listenIfMeshed (privateKey: PrivateKey): Promise<MeshLibp2p | undefined> {
    if (this.options.mesh == null) return undefined
    const libp2p = await listenForPeers(privateKey, this.options.mesh)
    this.undo.push(async () => { await libp2p.stop() }) // Mesh.stop stops it too, once started (a second stop does nothing)
    return libp2p
  }

  /**
   * Opens the store, evicting down to the budget, drops the entries of producers no longer trusted and writes the
   * budget for `gmesh cache gc`: what the start changes in the cache, done once the listeners are up.
   */
  private async openStore (peerId: string, logger: Logger): Promise<ContentStore> {
    const cacheMaxBytes = this.options.cacheMaxBytes ?? DEFAULT_CACHE_MAX
    const store = await ContentStore.open({
      dir: join(this.options.dataDir, DataFiles.cas),
      maxBytes: cacheMaxBytes,
      syncBlobs: this.options.syncBlobs ?? true,
      logger: logger.child({ part: 'cas' })
    })
    this.store = store
    this.undo.push(async () => { await store.close() })
    // a restart with a narrower --trust-producers: entries of producers no longer trusted are neither served nor offered
    const trust = this.options.mesh?.trust
    if (trust != null) await dropUntrustedEntries(store, trust, peerId, logger.child({ part: 'cas' }))
    await writeJsonAtomic(join(this.options.dataDir, DataFiles.cacheBudget), { maxBytes: cacheMaxBytes })
    return store
  }

  /** What the HTTP server answers with: Gradle's cache, the control API, /metrics. */
  private httpHandlers (store: ContentStore, mesh: Mesh | undefined, token: string, maxEntryBytes: number, logger: Logger): NodeHttpHandlers {
    const events = this.events
    this.cacheHandler = new GradleCacheHandler({
      store,
      logger: logger.child({ part: 'http-cache' }),
      onGet: observation => { events.emit({ type: 'cache-get', ...observation }) },
      onStored: this.announcer(mesh),
      ...(mesh?.cache == null ? {} : { proofOf: mesh.cache.proofOfLocalPut.bind(mesh.cache) }),
      ...(mesh?.cache == null ? {} : { fetchMissing: mesh.cache.fetchMissing.bind(mesh.cache) })
    }, { maxEntryBytes })
    const api = new ControlApi({
      token,
      logger,
      status: () => this.status(),
      // The client going away (Ctrl-C on `gmesh cache gc`) stops the gc after the chunk it is evicting (gc.ts)
      cacheGc: async (signal, options) => {
        try {
          const result = await store.gc({ ...options, signal })
          events.emit({ type: 'cache-gc', evicted: result.evicted, freedBytes: result.freedBytes })
          return result
        } catch (err) {
          if (!(err instanceof GcInterruptedError)) throw err
          logger.info({ evicted: err.evicted, freedBytes: err.freedBytes }, 'cache gc stopped early: its client went away, or the node stops')
          events.emit({ type: 'cache-gc', evicted: err.evicted, freedBytes: err.freedBytes, interrupted: true })
          throw err
        }
      },
      cacheVerify: async signal => await store.verify({ signal }),
      node: () => this.nodeInfo(),
      peers: () => this.mesh?.peerList() ?? [],
      cache: () => this.cacheInfo(),
      ...(mesh?.jobs == null ? {} : { jobs: jobsView(mesh.jobs) }),
      events
    })
    const metrics = new NodeMetrics({
      peers: () => this.mesh?.peerList().length ?? 0,
      cache: () => store.stats(),
      servedToPeersBytes: () => this.mesh?.cache?.uploads.uploadBytes ?? 0
    })
    metrics.attach(events)
    this.undo.push(async () => { metrics.detach() })
    return { cache: this.cacheHandler, api, metrics }
  }

  /** Stored Gradle PUTs become events, then are announced on the mesh (signed while stored, by proofOf). */
  private announcer (mesh: Mesh | undefined): (meta: EntryMeta) => Promise<void> {
    return async meta => {
      this.events.emit({ type: 'cache-put', key: meta.key, bytes: meta.size })
      await mesh?.cache?.onLocalPut(meta)
    }
  }

  private async startMesh ({ privateKey, store, libp2p }: { privateKey: PrivateKey, store: ContentStore, libp2p: MeshLibp2p | undefined },
    maxEntryBytes: number, logger: Logger): Promise<Mesh | undefined> {
    if (this.options.mesh == null || libp2p == null) return undefined
    const builds = {
      workDir: join(this.options.dataDir, DataFiles.builds),
      cacheUrl: () => {
        if (this.ready == null) throw new Error('the node\'s cache is not serving yet')
        return this.ready.cacheUrl
      }
    }
    const mesh = new Mesh({ privateKey, store, libp2p, logger: logger.child({ part: 'mesh' }), events: this.events }, {
      ...this.options.mesh, maxEntryBytes, builds, replicaBacklogFile: join(this.options.dataDir, DataFiles.replicaBacklog)
    })
    this.undo.push(async () => { await mesh.stop() })
    await mesh.start()
    this.mesh = mesh
    // an entry the store evicted or quarantined is no longer offered to peers (re-announced, shared in index sync)
    const unwatch = store.watchDropped(keys => { mesh.cache?.forgetHeld(keys) })
    this.undo.push(async () => { unwatch() })
    return mesh
  }

  private async writeReadyFile (peerId: string, httpUrl: string): Promise<void> {
    const path = join(this.options.dataDir, DataFiles.ready)
    this.ready = {
      peerId,
      multiaddrs: this.mesh?.multiaddrs ?? [],
      httpUrl,
      cacheUrl: `${httpUrl}/cache/`,
      pid: process.pid,
      ...pidStartOf(process.pid),
      version: VERSION,
      startedAt: new Date().toISOString()
    }
    await writeJsonAtomic(path, this.ready)
    this.undo.push(async () => { await rm(path, { force: true }) })
  }

  nodeInfo (): NodeInfo {
    const connectivity = this.mesh?.connectivity
    return {
      ...this.info, dataDir: this.options.dataDir, uptimeMs: Math.round(process.uptime() * 1000), rssBytes: process.memoryUsage.rss(),
      ...(connectivity == null ? {} : { connectivity })
    }
  }

  cacheInfo (): CacheInfo {
    const sharing = this.mesh?.cache
    return {
      store: this.store!.stats(),
      http: this.cacheHandler!.counters,
      ...(sharing == null ? {} : { sharing: { ...sharing.stats, servedBytes: sharing.uploads.uploadBytes } })
    }
  }

  /** The node's state as `gmesh status --json` shows it. */
  status (): Record<string, unknown> {
    return {
      node: { ...this.ready, dataDir: this.options.dataDir, uptimeMs: Math.round(process.uptime() * 1000) },
      cache: this.store?.stats(),
      http: this.cacheHandler?.counters,
      sharing: this.mesh?.cache == null
        ? undefined
        : { ...this.mesh.cache.stats, uploads: this.mesh.cache.uploads, dht: this.mesh.cache.dhtStats, protocol: this.mesh.cache.protocol.stats() },
      peers: this.mesh?.peerList() ?? [],
      membership: this.mesh?.membershipStats,
      discovery: this.mesh?.discovery,
      connectivity: this.mesh?.connectivity,
      jobs: this.mesh?.jobs == null
        ? undefined
        : { submitted: this.mesh.jobs.list(), leading: Object.fromEntries(this.mesh.jobs.leading), worker: this.mesh.jobs.protocol.load(this.store?.stats().bytes ?? 0) }
    }
  }

  /** Stops every part that started, newest first; safe to call twice. */
  async stop (): Promise<void> {
    while (this.undo.length > 0) {
      const step = this.undo.pop()
      try {
        await step?.()
      } catch (err) {
        this.logger.warn({ err }, 'error while stopping the node')
      }
    }
  }
}

/** Submitted jobs as the control API serves them. */
function jobsView (jobs: JobsHost): JobsView {
  return {
    list: () => jobs.list(),
    units: jobId => jobs.units(jobId),
    cancel: async (jobId, reason) => jobs.cancel(jobId, reason),
    submit: async (request, signal) => await jobs.submit(request, signal),
    report: jobId => jobs.report(jobId),
    testReports: async (jobId, signal) => await jobs.testReports(jobId, signal)
  }
}

/** `{ pidStart }` where the system tells a process's start time (Linux), else nothing. */
function pidStartOf (pid: number): Pick<ReadyInfo, 'pidStart'> {
  const pidStart = processStartTime(pid)
  return pidStart === undefined ? {} : { pidStart }
}
