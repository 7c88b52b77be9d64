import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DataFiles } from '../config/data-dir.js'
import { isAlive, processStartTime } from '../config/pid.js'
import { MAX_API_BODY_BYTES, MAX_SUBMIT_BODY_BYTES, type CancelJobResult, type CacheInfo, type EventsPage, type GcResult, type JobInfo, type JobReport, type JobTestReports, type NodeEvent, type NodeInfo, type PeerInfo, type SubmitJobRequest, type UnitInfo, type VerifyResult } from './api-types.js'
import { NodeApiError, NodeNotRunningError, NodeTokenError, NodeUnreachableError, RequestBodyTooLargeError } from './errors.js'
import { streamEvents, type EventStreamOptions } from './event-stream.js'
import { requestWithoutTimeouts } from './request-without-timeouts.js'

export type * from './api-types.js'

/** The ready file a running node writes: `DIR/node.json`. */
export interface NodeReadyInfo {
  peerId: string
  multiaddrs: string[]
  httpUrl: string
  cacheUrl: string
  pid: number
  version?: string
  startedAt?: string
  /** The node process's start time (see processStartTime): with `pid`, names that process and no later one that reuses the pid. */
  pidStart?: string
}

/** Reads `DIR/node.json` of a live node, or throws NodeNotRunningError. */
export async function readReadyFile (dataDir: string): Promise<NodeReadyInfo> {
  let info: NodeReadyInfo
  try {
    info = JSON.parse(await readFile(join(dataDir, DataFiles.ready), 'utf8')) as NodeReadyInfo
  } catch {
    throw new NodeNotRunningError(dataDir)
  }
  if (typeof info?.httpUrl !== 'string' || !isAlive(info.pid)) throw new NodeNotRunningError(dataDir)
  // a ready file left by a node that died, whose pid another process now has
  if (info.pidStart !== undefined && processStartTime(info.pid) !== info.pidStart) throw new NodeNotRunningError(dataDir)
  return info
}

/** An action whose work grows with the store or the project (gc, verify, a job's snapshot): it gets no timeout. */
const UNBOUNDED = 'unbounded'

/** The default longest wait for the probe before an unbounded action: a live node answers in milliseconds. */
const MAX_PROBE_MS = 10_000

function withTimeout (signal: AbortSignal | undefined, timeout: AbortSignal): AbortSignal {
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}

export interface NodeClientOptions {
  /** Per-attempt timeout in milliseconds (default 10 s); gc, verify and submitting a job, whose work grows with the store or the project, have none. */
  timeoutMs?: number
  /**
   * Before gc, verify or submitting a job, the node must answer a read within this (default: `timeoutMs`, at most
   * 10 s), else the action fails with NodeUnreachableError: a frozen node takes connections and never answers.
   */
  probeTimeoutMs?: number
  /** Extra attempts of a read (GET) that failed on the network or with a 5xx (default 2). Actions are never retried. */
  retries?: number
  /** Delay before the first retry, doubled each time (default 100 ms). */
  retryDelayMs?: number
}

/** Where a client reaches a node: its HTTP URL and bearer token (what a data directory holds). */
export interface NodeEndpoint { httpUrl: string, token: string }

/**
 * A typed client of a node's control API (`/api/v1/`), with per-attempt timeouts, retries of reads
 * and a reconnecting event stream. Used by the CLI and `gmesh top`.
 */
export class NodeClient {
  readonly info: NodeReadyInfo

  constructor (endpoint: NodeEndpoint & Partial<NodeReadyInfo>, private readonly options: NodeClientOptions = {}) {
    this.info = { peerId: '', multiaddrs: [], cacheUrl: `${endpoint.httpUrl}/cache/`, pid: 0, ...endpoint }
    this.token = endpoint.token
  }

  private readonly token: string

  /** A client of the node running at `dataDir` (its ready file and token). */
  static async connect (dataDir: string, options: NodeClientOptions = {}): Promise<NodeClient> {
    const info = await readReadyFile(dataDir)
    const tokenFile = join(dataDir, DataFiles.token)
    const token = await readFile(tokenFile, 'utf8').then(text => text.trim(), (err: unknown) => { throw new NodeTokenError(tokenFile, err) })
    return new NodeClient({ ...info, token }, options)
  }

  async status (signal?: AbortSignal): Promise<Record<string, unknown>> { return await this.get('status', signal) as Record<string, unknown> }
  async node (signal?: AbortSignal): Promise<NodeInfo> { return await this.get('node', signal) as NodeInfo }
  async peers (signal?: AbortSignal): Promise<PeerInfo[]> { return await this.get('peers', signal) as PeerInfo[] }
  async cache (signal?: AbortSignal): Promise<CacheInfo> { return await this.get('cache', signal) as CacheInfo }
  async jobs (signal?: AbortSignal): Promise<JobInfo[]> { return (await this.get('jobs', signal) as { jobs: JobInfo[] }).jobs }
  async job (id: string, signal?: AbortSignal): Promise<JobInfo> { return await this.get(`jobs/${encodeURIComponent(id)}`, signal) as JobInfo }
  async units (jobId: string, signal?: AbortSignal): Promise<UnitInfo[]> {
    return (await this.get(`jobs/${encodeURIComponent(jobId)}/units`, signal) as { units: UnitInfo[] }).units
  }

  /** Up to 100 buffered events right after id `after` (0: the oldest kept), oldest first; without `after`, the newest 100. */
  async events (after?: number, signal?: AbortSignal): Promise<EventsPage> {
    return await this.get(after === undefined ? 'events' : `events?after=${after}`, signal) as EventsPage
  }

  /** Starts a distributed build: the node snapshots `request.projectDir` and submits the units. */
  async submitJob (request: SubmitJobRequest, signal?: AbortSignal): Promise<{ jobId: string }> {
    // the node snapshots the project first: minutes for a big tree the first time
    return await this.call('POST', 'jobs', signal, request, UNBOUNDED, MAX_SUBMIT_BODY_BYTES) as { jobId: string }
  }

  async jobReport (id: string, signal?: AbortSignal): Promise<JobReport> { return await this.get(`jobs/${encodeURIComponent(id)}/report`, signal) as JobReport }

  /** The JUnit reports of a done job's test shards, by unit id (the node fetched them from the workers). */
  async jobTestReports (id: string, signal?: AbortSignal): Promise<JobTestReports> {
    return await this.get(`jobs/${encodeURIComponent(id)}/test-reports`, signal) as JobTestReports
  }

  /** Cancels a job, or its submission while the node still takes the snapshot (`started: false`); 404 for neither. */
  async cancelJob (id: string, reason?: string, signal?: AbortSignal): Promise<CancelJobResult> {
    return await this.call('POST', `jobs/${encodeURIComponent(id)}/cancel`, signal, reason == null ? {} : { reason }) as CancelJobResult
  }

  /** Evicts down to the budget: as long as the store needs (no timeout; `signal` cancels). */
  async cacheGc (options: { targetBytes?: number } = {}, signal?: AbortSignal): Promise<GcResult> {
    return await this.call('POST', 'cache/gc', signal, options, UNBOUNDED) as GcResult
  }

  /** Hashes every blob: minutes for a big cache on a slow disk, so no timeout (`signal` cancels). */
  async cacheVerify (signal?: AbortSignal): Promise<VerifyResult> { return await this.call('POST', 'cache/verify', signal, undefined, UNBOUNDED) as VerifyResult }

  /** The node's events as they happen, reconnecting with `Last-Event-ID` until `signal` aborts. */
  subscribe (options: Omit<EventStreamOptions, 'url' | 'token'>): AsyncGenerator<NodeEvent> {
    return streamEvents({ ...options, url: `${this.info.httpUrl}/api/v1/events/stream`, token: this.token })
  }

  private async get (path: string, signal?: AbortSignal): Promise<unknown> {
    return await this.retrying(signal, async () => await this.call('GET', path, signal))
  }

  /** Runs `attempt` again after a network error or a 5xx, `retries` times at most, with a doubling delay. */
  private async retrying<T> (signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    const retries = this.options.retries ?? 2
    let delay = this.options.retryDelayMs ?? 100
    for (let tries = 0; ; tries++) {
      try {
        return await attempt()
      } catch (err) {
        const transient = err instanceof NodeUnreachableError || (err instanceof NodeApiError && err.status >= 500)
        if (!transient || tries >= retries || signal?.aborted === true) throw err
        await sleep(delay, undefined, signal == null ? {} : { signal })
        delay *= 2
      }
    }
  }

  /** `bodyLimit`: what the node takes of this route's body (MAX_API_BODY_BYTES but for a job submission). */
  private async call (method: string, path: string, signal?: AbortSignal, body?: unknown, work: 'request' | 'unbounded' = 'request',
    bodyLimit = MAX_API_BODY_BYTES): Promise<unknown> {
    const json = body == null ? undefined : JSON.stringify(body)
    const bytes = json === undefined ? 0 : Buffer.byteLength(json)
    // the node would refuse it with 413: said here, before a byte of it is sent
    if (bytes > bodyLimit) throw new RequestBodyTooLargeError(`${method} /api/v1/${path}`, bytes, bodyLimit)
    // A frozen node (SIGSTOPped, its event loop stuck) still accepts connections: an action without a timeout would
    // wait for it forever. So the node must answer a read first; then the action takes as long as its work does.
    if (work === UNBOUNDED) await this.retrying(signal, async () => { await this.probe(signal) })
    const init = {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(json === undefined ? {} : { body: json })
    }
    const timeoutMs = work === UNBOUNDED ? undefined : this.options.timeoutMs ?? 10_000
    const response = await this.reach(path, signal, timeoutMs, async url => timeoutMs === undefined
      ? await requestWithoutTimeouts(url, init, signal)
      : await fetch(url, { ...init, signal: withTimeout(signal, AbortSignal.timeout(timeoutMs)) }))
    const answer = await this.readAnswer(response, signal, timeoutMs)
    if (response.ok) return answer
    const error = (answer as { error?: unknown } | undefined)?.error
    if (response.status === 401) throw new NodeApiError(401, `the node at ${this.info.httpUrl} refused this client's token (${typeof error === 'string' ? error : 'unauthorized'}): is --data the directory of the node you mean?`)
    throw new NodeApiError(response.status, typeof error === 'string' ? error : `the node answered ${response.status}`)
  }

  /** Resolves once the node answers a status read with any HTTP status; NodeUnreachableError if it does not in time. */
  private async probe (signal: AbortSignal | undefined): Promise<void> {
    const timeoutMs = this.options.probeTimeoutMs ?? Math.min(this.options.timeoutMs ?? 10_000, MAX_PROBE_MS)
    const timeout = AbortSignal.timeout(timeoutMs)
    const response = await this.reach('status', signal, timeoutMs, async url => await fetch(url, { headers: { Authorization: `Bearer ${this.token}` }, signal: withTimeout(signal, timeout) }))
    await response.body?.cancel()
  }

  /** The response of `send` (which gives up after `timeoutMs`, if given) for a path under the API; a failure to get one is the node being unreachable. */
  private async reach (path: string, signal: AbortSignal | undefined, timeoutMs: number | undefined, send: (url: string) => Promise<Response>): Promise<Response> {
    try {
      return await send(`${this.info.httpUrl}/api/v1/${path}`)
    } catch (err) {
      if (signal?.aborted === true) throw err
      throw new NodeUnreachableError(this.info.httpUrl, err, timeoutMs)
    }
  }

  /**
   * The JSON body of an answer. A body cut off by the timeout is the node not answering (a read retries
   * it); one that is not JSON, on a success status, means something other than a gmesh node answered.
   */
  private async readAnswer (response: Response, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<unknown> {
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      if (signal?.aborted === true) throw err
      throw new NodeUnreachableError(this.info.httpUrl, err, timeoutMs)
    }
    try {
      return JSON.parse(text) as unknown
    } catch {
      if (!response.ok) return undefined
      throw new NodeApiError(response.status, `${this.info.httpUrl} answered ${response.status} with something other than JSON: is a gmesh node listening there?`)
    }
  }
}
