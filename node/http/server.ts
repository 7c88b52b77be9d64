import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../../src/config/logger.js'
import type { GradleCacheHandler } from '../../src/gradle/http-cache.js'
import type { ControlApi } from './control-api.js'
import { HttpListenError } from '../errors.js'
import { HostCheck } from './host-check.js'

/** What `/metrics` serves (node/metrics `NodeMetrics`). */
export interface MetricsSource {
  text: () => Promise<string>
  readonly contentType: string
}

export interface NodeHttpServerComponents {
  cache: GradleCacheHandler
  api: ControlApi
  logger: Logger
  metrics?: MetricsSource
}

export interface NodeHttpServerInit {
  host: string
  port: number
  /** A socket silent this long is closed (default 2 min), except while an action (a POST to the API) works. */
  idleSocketMs?: number
}

const CACHE_PREFIX = '/cache/'
const API_PREFIX = '/api/v1/'
const METRICS_PATH = '/metrics'

const DEFAULT_IDLE_SOCKET_MS = 120_000

/** The node's one HTTP server: Gradle's cache under /cache/, the control API under /api/v1/, Prometheus at /metrics. */
export class NodeHttpServer {
  private server?: Server
  private boundUrl?: string
  private readonly inFlight = new Set<Promise<void>>()
  private readonly hosts: HostCheck

  constructor (private readonly components: NodeHttpServerComponents, private readonly init: NodeHttpServerInit) {
    this.hosts = new HostCheck(init.host)
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
    server.on('clientError', (err, socket) => {
      this.components.logger.debug({ err }, 'malformed HTTP request')
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
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
    this.components.api.close()
    const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
    server.closeIdleConnections()
    const force = setTimeout(() => { server.closeAllConnections() }, 2000)
    await closed
    clearTimeout(force)
  }

  private route (req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    let work: Promise<void>
    if (!this.hosts.allows(req.headers.host)) work = Promise.resolve(misdirected(req, res))
    else if (url.startsWith(CACHE_PREFIX)) work = this.components.cache.handle(req, res, url.slice(CACHE_PREFIX.length))
    else if (url.startsWith(API_PREFIX)) {
      // an action (a gc or verify of a big cache, a build's snapshot) may work for minutes before its answer
      if (req.method === 'POST') this.noIdleLimitWhileHandled(req, res)
      work = this.components.api.handle(req, res, url.slice(API_PREFIX.length))
    }
    else if (url.split('?', 1)[0] === METRICS_PATH && this.components.metrics != null) work = serveMetrics(this.components.metrics, req, res)
    else work = Promise.resolve(notFound(res))
    const tracked = work.catch(err => {
      this.components.logger.error({ err, url }, 'HTTP handler failed')
      if (!res.headersSent) res.writeHead(404).end()
      else res.destroy()
    }).finally(() => { this.inFlight.delete(tracked) })
    this.inFlight.add(tracked)
  }

  private get idleSocketMs (): number { return this.init.idleSocketMs ?? DEFAULT_IDLE_SOCKET_MS }

  private noIdleLimitWhileHandled (req: IncomingMessage, res: ServerResponse): void {
    // held here: once the response is done, Node may have detached the socket from the request (req.socket is null)
    const socket = req.socket
    socket.setTimeout(0)
    res.once('close', () => { if (!socket.destroyed) socket.setTimeout(this.idleSocketMs) })
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

function misdirected (req: IncomingMessage, res: ServerResponse): void {
  const body = `refused: requests must name this node by IP address or localhost, not "${req.headers.host ?? ''}" ` +
    '(a web page can point a name of its own at this machine); bind --http to a host name to allow that name\n'
  res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' })
  res.end(body)
  req.resume()
}

function notFound (res: ServerResponse): void {
  const body = 'not found: the node serves /cache/<key> (Gradle), /api/v1/ (control API) and /metrics (Prometheus)\n'
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

/** Where clients on this machine reach the server: loopback when it listens on every address (0.0.0.0, ::). */
export function advertisedHost (address: AddressInfo): string {
  if (address.address === '0.0.0.0') return '127.0.0.1'
  if (address.address === '::') return '[::1]'
  return address.family === 'IPv6' ? `[${address.address}]` : address.address
}
