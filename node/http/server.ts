import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../../src/config/logger.js'
import type { GradleCacheHandler } from '../../src/gradle/http-cache.js'
import { sendJson, type ControlApi } from './control-api.js'
import { HttpListenError } from '../errors.js'
import { HostCheck } from './host-check.js'

/** What `/metrics` serves (node/metrics `NodeMetrics`). */
export interface MetricsSource {
  text: () => Promise<string>
  readonly contentType: string
}

export interface NodeHttpServerComponents {
  cache: Pick<GradleCacheHandler, 'handle' | 'refuseBeforeBody'> & Partial<Pick<GradleCacheHandler, 'serveNow'>>
  api: Pick<ControlApi, 'handle' | 'close'>
  logger: Logger
  metrics?: MetricsSource
}

/** What answers the requests: every component but the logger, which the server needs from the start. */
export type NodeHttpHandlers = Omit<NodeHttpServerComponents, 'logger'>

export interface NodeHttpServerInit {
  host: string
  port: number
  /** A socket silent this long is closed (default 2 min), except while an action (a POST to the API) works on a body it has read. */
  idleSocketMs?: number
}

const CACHE_PREFIX = '/cache/'
const API_ROOT = '/api/v1'
const METRICS_PATH = '/metrics'

const DEFAULT_IDLE_SOCKET_MS = 120_000

/**
 * The node's one HTTP server: Gradle's cache under /cache/, the control API under /api/v1/, Prometheus at /metrics.
 * Made with only a logger, it binds its address at start() but holds every request until serve() gives it the
 * handlers (the daemon binds before it opens the store, so that a port taken fails the start before the store changes
 * anything); a stop before that answers the held requests as failed (a miss to Gradle).
 */
export class NodeHttpServer {
  private server?: Server
  private boundUrl?: string
  private readonly inFlight = new Set<Promise<void>>()
  private readonly hosts: HostCheck
  private readonly logger: Logger
  private handlers?: NodeHttpHandlers
  private readonly opened: Promise<NodeHttpHandlers>
  private open!: (handlers: NodeHttpHandlers) => void
  private refuse!: (reason: Error) => void

  constructor (components: NodeHttpServerComponents | Pick<NodeHttpServerComponents, 'logger'>, private readonly init: NodeHttpServerInit) {
    this.hosts = new HostCheck(init.host)
    this.logger = components.logger
    this.opened = new Promise<NodeHttpHandlers>((resolve, reject) => { this.open = resolve; this.refuse = reject })
    this.opened.catch(() => {}) // heard by the held requests, if any
    if ('cache' in components) this.serve(components)
  }

  /** Answers requests with `handlers` from now on, the ones held since start() first. */
  serve (handlers: NodeHttpHandlers): void {
    this.handlers = handlers
    this.open(handlers)
  }

  /** `http://HOST:PORT` once started (with the real port when 0 was asked for). */
  get url (): string {
    if (this.boundUrl == null) throw new Error('the HTTP server is not started')
    return this.boundUrl
  }

  async start (): Promise<void> {
    // No limit on a whole request (a big upload may take long), but on headers (60 s) and on a silent socket
    // (2 min; event streams send a heartbeat every 15 s): a client that stalls cannot hold a socket forever.
    const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => { this.route(req, res) })
    server.setTimeout(this.idleSocketMs, socket => { socket.destroy() })
    server.on('checkContinue', (req, res) => { this.continueOrRefuse(req, res) })
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      this.logger.debug({ err }, 'malformed HTTP request')
      if (socket.writable) socket.end(clientErrorAnswer(err))
      else socket.destroy()
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', err => { reject(new HttpListenError(`${this.init.host}:${this.init.port}`, err)) })
      server.listen(this.init.port, this.init.host, resolve)
    })
    const address = server.address() as AddressInfo
    const host = advertisedHost(address)
    this.boundUrl = `http://${host}:${address.port}`
    this.server = server
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server == null) return
    this.server = undefined
    this.refuse(new Error('the node stopped before it served this request'))
    this.handlers?.api.close()
    const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
    server.closeIdleConnections()
    const force = setTimeout(() => { server.closeAllConnections() }, 2000)
    await closed
    clearTimeout(force)
  }

  /**
   * A request that sent `Expect: 100-continue` waits for our word before its body: a cache PUT over the size
   * limit is answered at once (GradleCacheHandler.refuseBeforeBody), so its body is never uploaded; any
   * other request is told to continue and routed as usual.
   */
  private continueOrRefuse (req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    const cache = url.startsWith(CACHE_PREFIX) && this.hosts.allows(req.headers.host)
    // before serve() nobody can judge the size yet: the request continues and waits with the others
    if (cache && this.handlers?.cache.refuseBeforeBody(req, res, url.slice(CACHE_PREFIX.length)) === true) return
    res.writeContinue()
    this.route(req, res)
  }

  private route (req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    if (this.servedNow(req, res, url)) return
    const tracked = this.dispatch(req, res, url).catch(err => {
      this.logger.error({ err, url }, 'HTTP handler failed')
      answerFailure(req, res, url, err)
    }).finally(() => { this.inFlight.delete(tracked) })
    this.inFlight.add(tracked)
  }

  /** Whether the cache answered the request at once (GradleCacheHandler.serveNow: a GET hit on a small entry, no promise). */
  private servedNow (req: IncomingMessage, res: ServerResponse, url: string): boolean {
    const cache = this.handlers?.cache
    if (cache?.serveNow === undefined || !url.startsWith(CACHE_PREFIX) || !this.hosts.allows(req.headers.host)) return false
    try {
      return cache.serveNow(req, res, url.slice(CACHE_PREFIX.length))
    } catch (err) {
      this.logger.error({ err, url }, 'HTTP handler failed')
      answerFailure(req, res, url, err)
      return true
    }
  }

  private async dispatch (req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    if (!this.hosts.allows(req.headers.host)) return misdirected(req, res, url)
    const handlers = this.handlers ?? await this.held(url)
    if (url.startsWith(CACHE_PREFIX)) return await handlers.cache.handle(req, res, url.slice(CACHE_PREFIX.length))
    const api = apiPathOf(url)
    if (api !== undefined) {
      // an action (a gc or verify of a big cache, a build's snapshot) may work for minutes before its answer
      if (req.method === 'POST') this.noIdleLimitOnceRead(req, res)
      return await handlers.api.handle(req, res, api)
    }
    if (url.split('?', 1)[0] === METRICS_PATH && handlers.metrics != null) return await serveMetrics(handlers.metrics, req, res)
    notFound(res)
  }

  /** The handlers, once serve() gives them: a request that comes while the node starts waits for them. */
  private async held (url: string): Promise<NodeHttpHandlers> {
    this.logger.debug({ url }, 'request held until the node serves (it is starting)')
    return await this.opened
  }

  private get idleSocketMs (): number { return this.init.idleSocketMs ?? DEFAULT_IDLE_SOCKET_MS }

  /**
   * Lifts the idle limit once the request's body is read, until its answer is done: the action may then work for
   * minutes in silence. While the body comes the limit holds, so a client that stalls mid-body is cut off.
   */
  private noIdleLimitOnceRead (req: IncomingMessage, res: ServerResponse): void {
    // held here: once the response is done, Node may have detached the socket from the request (req.socket is null)
    const socket = req.socket
    req.once('end', () => {
      if (res.writableEnded || socket.destroyed) return // answered before the body was read (a 401, say)
      socket.setTimeout(0)
      res.once('close', () => { if (!socket.destroyed) socket.setTimeout(this.idleSocketMs) })
    })
  }

  /** Resolves once every request handled so far has finished (its store work included). */
  async whenIdle (): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }
}

async function serveMetrics (metrics: MetricsSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('use GET /metrics\n')
    return
  }
  const body = await metrics.text()
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** The raw answer to a request Node could not parse: 431 for headers over Node's limit (16 KiB), else 400. */
function clientErrorAnswer (err: NodeJS.ErrnoException): string {
  const [status, body] = err.code === 'HPE_HEADER_OVERFLOW'
    ? ['431 Request Header Fields Too Large', 'request headers are over the 16 KiB limit\n']
    : ['400 Bad Request', 'malformed HTTP request\n']
  return `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

/** What follows `/api/v1/` (`''` for `/api/v1` itself), or undefined for a path outside the control API. */
function apiPathOf (url: string): string | undefined {
  if (!url.startsWith(API_ROOT)) return undefined
  const rest = url.slice(API_ROOT.length)
  if (rest === '' || rest.startsWith('?')) return rest
  return rest.startsWith('/') ? rest.slice(1) : undefined
}

/**
 * The answer to a request whose handler threw. Gradle turns its remote cache off for the rest of a build on a
 * 5xx (design.md): to it, a failed GET or HEAD is a miss (404) and a failed PUT an entry not stored (202, as
 * the cache handler answers its own store errors). Everything else gets a 500 saying what failed.
 */
function answerFailure (req: IncomingMessage, res: ServerResponse, url: string, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const message = err instanceof Error ? err.message : String(err)
  if (url.startsWith(CACHE_PREFIX) && (req.method === 'GET' || req.method === 'HEAD')) {
    reply(res, 404, '')
  } else if (url.startsWith(CACHE_PREFIX) && req.method === 'PUT') {
    req.resume() // drained, so the connection stays usable for Gradle's next request
    reply(res, 202, 'the entry could not be stored\n')
  } else if (apiPathOf(url) !== undefined) {
    sendJson(res, 500, { error: `internal error: ${message}` })
  } else {
    reply(res, 500, `internal error: ${message}\n`)
  }
}

function misdirected (req: IncomingMessage, res: ServerResponse, url: string): void {
  const error = `refused: requests must name this node by IP address or localhost, not "${req.headers.host ?? ''}" ` +
    '(a web page can point a name of its own at this machine); bind --http to a host name to allow that name'
  if (apiPathOf(url) !== undefined) sendJson(res, 421, { error }, { Connection: 'close' })
  else reply(res, 421, error + '\n', { Connection: 'close' })
  req.resume()
}

function notFound (res: ServerResponse): void {
  reply(res, 404, 'not found: the node serves /cache/<key> (Gradle), /api/v1/ (control API) and /metrics (Prometheus)\n')
}

function reply (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

/** Where clients on this machine reach the server: loopback when it listens on every address (0.0.0.0, ::). */
export function advertisedHost (address: AddressInfo): string {
  if (address.address === '0.0.0.0') return '127.0.0.1'
  if (address.address === '::') return '[::1]'
  return address.family === 'IPv6' ? `[${address.address}]` : address.address
}
