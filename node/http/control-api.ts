import type { IncomingMessage, ServerResponse } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Logger } from '../../src/config/logger.js'

/** What the control API can read and do; the daemon supplies it. */
export interface ControlApiComponents {
  token: string
  logger: Logger
  status: () => unknown
  cacheGc: (signal: AbortSignal) => Promise<unknown>
  cacheVerify: (signal: AbortSignal) => Promise<unknown>
}

type Route = (req: IncomingMessage, signal: AbortSignal) => Promise<unknown>

/** A request the API refuses, with the HTTP status and the message the caller sees. */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor (readonly status: number, message: string) { super(message) }
}

/**
 * The node's control API under `/api/v1/` (bearer token from `DIR/token`, compared in constant time).
 * Answers JSON: the result, or `{ error }` with a 4xx/5xx status.
 */
export class ControlApi {
  private readonly routes = new Map<string, Route>()
  private readonly tokenDigest: Buffer

  constructor (private readonly components: ControlApiComponents) {
    this.tokenDigest = digest(components.token)
    this.routes.set('GET status', async () => components.status())
    this.routes.set('POST cache/gc', async (_req, signal) => await components.cacheGc(signal))
    this.routes.set('POST cache/verify', async (_req, signal) => await components.cacheVerify(signal))
  }

  /** Handles a request below `/api/v1/`; `rest` is the path after that prefix. */
  async handle (req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const gone = new AbortController()
    res.once('close', () => { gone.abort() })
    try {
      if (!this.authorized(req)) throw new ApiError(401, 'missing or wrong bearer token: send "Authorization: Bearer <contents of DIR/token>"')
      const path = rest.split('?', 1)[0] ?? ''
      const route = this.routes.get(`${req.method ?? ''} ${path}`)
      if (route == null) throw this.unknown(req.method ?? '', path)
      send(res, 200, await route(req, gone.signal))
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 500
      if (status === 500) this.components.logger.warn({ err }, 'control API request failed')
      send(res, status, { error: err instanceof Error ? err.message : String(err) })
    }
  }

  private authorized (req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    return match?.[1] != null && timingSafeEqual(digest(match[1]), this.tokenDigest)
  }

  private unknown (method: string, path: string): ApiError {
    const known = [...this.routes.keys()].filter(r => r.endsWith(` ${path}`))
    if (known.length > 0) return new ApiError(405, `${method} not allowed on /api/v1/${path}: use ${known.map(r => r.split(' ')[0]).join(', ')}`)
    return new ApiError(404, `no such API endpoint: /api/v1/${path}`)
  }
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function send (res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return
  const body = JSON.stringify(value ?? null)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' })
  res.end(body)
}
