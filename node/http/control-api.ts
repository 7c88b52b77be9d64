import type { IncomingMessage, ServerResponse } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { Logger } from '../../src/config/logger.js'
import type { CancelOutcome, EventsPage, JobInfo, JobReport, JobTestReports, SubmitJobRequest, UnitInfo } from '../../src/client/api-types.js'
import { JOB_ID_PATTERN } from '../../src/client/job-id.js'
import { MAX_SUBMIT_BODY_BYTES, MAX_UNIT_TIMEOUT_MS } from '../../src/client/api-types.js'
import type { EventBus } from '../events/index.js'
import { serveEventStream } from './event-stream.js'
import { ApiError, readJsonBody } from './request-body.js'
import { taskPathSchema, unitSchema } from '../jobs/unit-payload.js'
import { submitFailureStatus, testReportsFailureStatus } from './failure-status.js'

export { ApiError }

/** Distributed builds as the API sees them; a node without them has no jobs. */
export interface JobsView {
  list: () => JobInfo[]
  units: (jobId: string) => UnitInfo[] | undefined
  /**
   * Cancels a job: `cancelled` when it was running, `stopped-before-start` when its submission was still under way
   * (the snapshot: no job starts), `ended` when the job is over already, `unknown` when there is no such job.
   */
  cancel: (jobId: string, reason: string) => Promise<CancelOutcome>
  /** Snapshots a project and starts a distributed build of its units (`gmesh build`). */
  submit?: (request: SubmitJobRequest, signal: AbortSignal) => Promise<{ jobId: string }>
  /** A submitted job in full: units with their results, terms, lost peers. */
  report?: (jobId: string) => JobReport | undefined
  /**
   * The test shards' JUnit reports of a done job, by unit id; undefined for a job not submitted
   * here; throws why they cannot be served (the job is not done, the reports are gone).
   */
  testReports?: (jobId: string, signal: AbortSignal) => Promise<JobTestReports | undefined>
}

/** What the control API can read and do; the daemon supplies it. */
export interface ControlApiComponents {
  token: string
  logger: Logger
  status: () => unknown
  cacheGc: (signal: AbortSignal, options: { targetBytes?: number }) => Promise<unknown>
  cacheVerify: (signal: AbortSignal) => Promise<unknown>
  node?: () => unknown
  peers?: () => unknown
  cache?: () => unknown
  jobs?: JobsView
  events?: EventBus
}

interface Request { req: IncomingMessage, res: ServerResponse, signal: AbortSignal, params: string[], query: URLSearchParams }
type Handler = (request: Request) => Promise<unknown>
interface Route { method: string, pattern: RegExp, handler: Handler, stream?: boolean }

const JOB_ID = '([A-Za-z0-9._-]{1,128})'
const gcBody = z.strictObject({ targetBytes: z.number().int().nonnegative().optional() })
const cancelBody = z.strictObject({ reason: z.string().max(500).optional() })
const submitBody = z.strictObject({
  jobId: z.string().regex(JOB_ID_PATTERN, 'must look like the ids newJobId makes (base-36 time, a dash, hex)').optional(),
  projectDir: z.string().min(1).max(4096).refine(p => p.startsWith('/'), 'must be an absolute path'),
  requested: z.array(z.string().min(1).max(300)).min(1).max(100),
  unitTimeoutMs: z.number().int().positive().max(MAX_UNIT_TIMEOUT_MS).optional(),
  units: z.array(unitSchema.extend({
    tasks: z.array(taskPathSchema).max(10_000),
    dependsOn: z.array(z.string().max(64)).max(20_000)
  })).min(1).max(20_000)
})
const NO_JOBS: JobsView = { list: () => [], units: () => undefined, cancel: async () => 'unknown' }

/**
 * The node's control API under `/api/v1/` (bearer token from `DIR/token`, compared in constant time).
 * Answers JSON: the result, or `{ error }` with a 4xx/5xx status; `events/stream` is server-sent events.
 */
export class ControlApi {
  private readonly routes: Route[] = []
  private readonly tokenDigest: Buffer
  private readonly closing = new AbortController()

  constructor (private readonly components: ControlApiComponents) {
    this.tokenDigest = digest(components.token)
    const jobs = components.jobs ?? NO_JOBS
    const part = (read: (() => unknown) | undefined, name: string): Handler => async () => {
      if (read == null) throw new ApiError(404, `this node does not serve ${name}`)
      return read()
    }
    this.add('GET', 'status', async () => components.status())
    this.add('GET', 'node', part(components.node, 'node'))
    this.add('GET', 'peers', part(components.peers, 'peers'))
    this.add('GET', 'cache', part(components.cache, 'cache'))
    this.add('POST', 'cache/gc', async ({ req, signal }) => await components.cacheGc(signal, await readJsonBody(req, gcBody)))
    this.add('POST', 'cache/verify', async ({ req, signal }) => {
      await readJsonBody(req, z.strictObject({}))
      return await components.cacheVerify(signal)
    })
    this.add('GET', 'jobs', async () => ({ jobs: jobs.list() }))
    this.add('GET', `jobs/${JOB_ID}`, async ({ params }) => this.job(jobs, params[0]!))
    this.add('POST', 'jobs', async ({ req, signal }) => {
      if (jobs.submit == null) throw new ApiError(404, 'this node does not run distributed builds: start it with a mesh (gmesh up)')
      const request = await readJsonBody(req, submitBody, MAX_SUBMIT_BODY_BYTES)
      try {
        return await jobs.submit(request, signal)
      } catch (err) {
        throw new ApiError(submitFailureStatus(err, request.projectDir), `cannot start the build: ${(err as Error).message}`)
      }
    })
    this.add('GET', `jobs/${JOB_ID}/report`, async ({ params }) => {
      const report = jobs.report?.(params[0]!)
      if (report == null) throw new ApiError(404, `no such job submitted from this node: ${params[0]!}`)
      return report
    })
    this.add('GET', `jobs/${JOB_ID}/test-reports`, async ({ params, signal }) => await this.testReports(jobs, params[0]!, signal))
    this.add('GET', `jobs/${JOB_ID}/units`, async ({ params }) => ({ units: jobs.units(this.job(jobs, params[0]!).id) ?? [] }))
    this.add('POST', `jobs/${JOB_ID}/cancel`, async ({ req, params }) => {
      const { reason } = await readJsonBody(req, cancelBody)
      const outcome = await jobs.cancel(params[0]!, reason ?? 'cancelled through the control API')
      if (outcome === 'unknown') throw new ApiError(404, `no such job: ${params[0]!}`)
      if (outcome === 'ended') throw new ApiError(409, `job ${params[0]!} is over already (${jobs.report?.(params[0]!)?.state ?? 'ended'}): nothing to cancel`)
      return { cancelled: params[0]!, started: outcome === 'cancelled' }
    })
    this.add('GET', 'events', async ({ query }) => this.eventsPage(query))
    this.routes.push({ method: 'GET', pattern: /^events\/stream$/, handler: async ({ req, res }) => { this.stream(req, res) }, stream: true })
  }

  private add (method: string, path: string, handler: Handler): void {
    this.routes.push({ method, pattern: new RegExp(`^${path}$`), handler })
  }

  /** Handles a request below `/api/v1/`; `rest` is the path after that prefix. */
  async handle (req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const gone = new AbortController()
    res.once('close', () => { gone.abort() })
    try {
      if (!this.authorized(req)) throw new ApiError(401, 'missing or wrong bearer token: send "Authorization: Bearer <contents of DIR/token>"', { 'WWW-Authenticate': 'Bearer realm="gmesh"' })
      const [path = '', search = ''] = rest.split('?', 2)
      const { route, params } = this.find(req.method ?? '', path)
      const result = await route.handler({ req, res, signal: gone.signal, params, query: new URLSearchParams(search) })
      if (route.stream !== true) sendJson(res, 200, result)
    } catch (err) {
      if (!(err instanceof ApiError) && clientGone(req, gone.signal)) {
        // a client that hung up mid-upload (Ctrl-C): nothing failed here, and nobody is left to answer
        this.components.logger.debug({ err, path: rest }, 'control API request ended early: the client went away')
        return
      }
      const status = err instanceof ApiError ? err.status : 500
      if (status === 500) this.components.logger.warn({ err }, 'control API request failed')
      // A refused body was dropped, or cut off when too big even for that; or the answer comes before the body was read
      // (a 401 or 404 to a POST): the connection is not used again, so it holds no unread body until its idle limit.
      if (status === 413 || !req.complete) res.setHeader('Connection', 'close')
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) }, err instanceof ApiError ? err.headers : {})
    }
  }

  private find (method: string, path: string): { route: Route, params: string[] } {
    const matching = this.routes.map(route => ({ route, match: route.pattern.exec(path) })).filter(m => m.match != null)
    const hit = matching.find(m => m.route.method === method)
    if (hit != null) return { route: hit.route, params: hit.match!.slice(1) }
    const allowed = matching.map(m => m.route.method).join(', ')
    if (matching.length > 0) throw new ApiError(405, `${method} not allowed on /api/v1/${path}: use ${allowed}`, { Allow: allowed })
    throw new ApiError(404, `no such API endpoint: /api/v1/${path}`)
  }

  private job (jobs: JobsView, id: string): JobInfo {
    const job = jobs.list().find(j => j.id === id)
    if (job == null) throw new ApiError(404, `no such job: ${id}`)
    return job
  }

  private async testReports (jobs: JobsView, id: string, signal: AbortSignal): Promise<JobTestReports> {
    if (jobs.testReports == null) throw new ApiError(404, 'this node does not serve test reports: it runs no distributed builds, or is older than test shards')
    let reports: JobTestReports | undefined
    try {
      reports = await jobs.testReports(id, signal)
    } catch (err) {
      throw new ApiError(testReportsFailureStatus(err), `no test reports for job ${id}: ${(err as Error).message}`)
    }
    if (reports == null) throw new ApiError(404, `no such job submitted from this node: ${id}`)
    return reports
  }

  private eventsPage (query: URLSearchParams): EventsPage {
    const bus = this.requireEvents()
    const limit = integerParam(query, 'limit', 100)
    // a page of none would leave `next` where it was: a client paging on it would ask forever
    if (limit < 1) throw new ApiError(400, 'query parameter limit must be 1 or more (at most 1000 are served)')
    const size = Math.min(limit, 1000)
    if (!query.has('after')) return { events: bus.recent(size), lastId: bus.lastId, next: bus.lastId, missed: 0 }
    // the oldest first, right after `after`: a client that pages on with `next` misses nothing still buffered
    const { events, missed, restarted } = bus.replay(integerParam(query, 'after', 0))
    const page = events.slice(0, size)
    const next = page.length < events.length ? page.at(-1)!.id : bus.lastId
    return { events: page, lastId: bus.lastId, next, missed, ...(restarted ? { restarted } : {}) }
  }

  private stream (req: IncomingMessage, res: ServerResponse): void {
    serveEventStream(this.requireEvents(), req, res, { signal: this.closing.signal })
  }

  /** Ends open event streams, so the HTTP server can close at once. */
  close (): void { this.closing.abort() }

  private requireEvents (): EventBus {
    if (this.components.events == null) throw new ApiError(404, 'this node does not serve events')
    return this.components.events
  }

  private authorized (req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    return match?.[1] != null && timingSafeEqual(digest(match[1]), this.tokenDigest)
  }
}

/** Whether the client went away before its answer: its connection closed, or its request broke off mid-body. */
function clientGone (req: IncomingMessage, gone: AbortSignal): boolean {
  return gone.aborted || (req.destroyed && !req.complete)
}

function integerParam (query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name)
  if (raw == null) return fallback
  if (!/^\d{1,16}$/.test(raw)) throw new ApiError(400, `query parameter ${name} must be a whole number (got "${raw}")`)
  return Number(raw)
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** A JSON answer of the control API (errors are `{ error }`); nothing when an answer already went out. */
export function sendJson (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const body = JSON.stringify(value ?? null)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers })
  res.end(body)
}
