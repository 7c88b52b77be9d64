import type { IncomingMessage, ServerResponse } from 'node:http'
import { finished, pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import type { BlobFileReader, BlobStore, EntryMeta, EntryProof, OpenEntry, PutOptions } from '../cas/types.js'
import { GRADLE_KEY_PATTERN } from '../cas/types.js'
import type { Logger } from '../config/logger.js'
import { FileSender } from './file-sender.js'

/**
 * Looks a locally missing key up elsewhere (peers): resolves to the entry's verified bytes when it has
 * them in memory, to true when the entry is now in the store, to false on a miss.
 */
export type FetchMissing = (key: string, signal: AbortSignal) => Promise<boolean | Uint8Array>

/** Told about every entry a Gradle PUT stored (the mesh announces it). */
export type OnStored = (meta: EntryMeta) => Promise<void>

/** Asked for the proof a Gradle PUT's entry is stored with, once its bytes are hashed (the mesh signs its record). */
export type ProofOfPut = (entry: { key: string, sha256: string, size: number }) => EntryProof | undefined

/** One answered GET: where the entry came from (or a miss), its size and the time to the headers. */
export interface CacheGetObservation {
  key: string
  source: 'local' | 'peer' | 'miss'
  bytes: number
  ms: number
}

export interface CacheHandlerComponents {
  store: BlobStore
  logger: Logger
  fetchMissing?: FetchMissing
  onStored?: OnStored
  proofOf?: ProofOfPut
  /** Told about every GET answered with a hit or a miss (events, metrics). */
  onGet?: (observation: CacheGetObservation) => void
}

export interface CacheHandlerInit {
  /** Entries above this are drained, dropped, counted and answered 2xx (default 100 MiB). */
  maxEntryBytes?: number
  /** Hard deadline of a peer lookup on a miss; Gradle turns the remote cache off after 30 s. */
  missDeadlineMs?: number
}

export interface CacheHttpCounters {
  gets: number
  hits: number
  misses: number
  heads: number
  puts: number
  stored: number
  oversized: number
  aborted: number
  badRequests: number
  internalErrors: number
}

/** An entry to answer a GET with: verified bytes in memory, or a verified stream. */
type FoundEntry =
  | { size: number, bytes: Uint8Array, body?: undefined, file?: undefined }
  | { size: number, bytes?: undefined, body: Readable, file?: BlobFileReader }

function foundOf (entry: OpenEntry | undefined): FoundEntry | undefined {
  if (entry == null) return undefined
  return entry.bytes === undefined ? { size: entry.meta.size, body: entry.body, file: entry.file } : { size: entry.meta.size, bytes: entry.bytes }
}

export const DEFAULT_MAX_ENTRY_BYTES = 100 * 1024 * 1024
const CACHE_ENTRY_TYPE = 'application/vnd.gradle.build-cache-artifact.v1'
// The mesh answers a miss within its own lookup deadline (2 s) when no provider answers; once one
// does, a big entry may take longer to arrive. This bound only keeps us under Gradle's 30 s timeout.
const DEFAULT_MISS_DEADLINE_MS = 27_000

/**
 * Gradle's HTTP build cache protocol (`GET|HEAD|PUT /cache/<key>`), answered so that Gradle never
 * turns its remote cache off: misses and internal read errors are 404, oversized entries 202, only
 * malformed requests 400, never a redirect (design.md, "Gradle integration").
 */
export class GradleCacheHandler {
  readonly counters: CacheHttpCounters = {
    gets: 0, hits: 0, misses: 0, heads: 0, puts: 0, stored: 0, oversized: 0, aborted: 0, badRequests: 0, internalErrors: 0
  }

  private readonly maxEntryBytes: number
  private readonly missDeadlineMs: number
  private readonly files = new FileSender()

  constructor (private readonly components: CacheHandlerComponents, init: CacheHandlerInit = {}) {
    this.maxEntryBytes = init.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
    this.missDeadlineMs = init.missDeadlineMs ?? DEFAULT_MISS_DEADLINE_MS
  }

  /** Handles a request whose path is below `/cache/`; `rest` is what follows that prefix, undecoded. */
  async handle (req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const key = keyOf(rest)
    if (key === undefined) {
      this.counters.badRequests++
      return this.reply(req, res, 400, `malformed cache key: expected 32 to 128 lowercase hex characters\n`)
    }
    switch (req.method) {
      case 'GET': return this.get(req, res, key)
      case 'HEAD': return this.head(res, key)
      case 'PUT': return this.put(req, res, key)
      default:
        this.counters.badRequests++
        res.setHeader('Allow', 'GET, HEAD, PUT')
        return this.reply(req, res, 405, `method ${req.method ?? ''} not allowed on the cache: use GET, HEAD or PUT\n`)
    }
  }

  /**
   * Answers at once, with no promise, a GET hit that needs no waiting (the store's getNow: a small entry read and
   * verified with blocking calls): most of Gradle's GETs, whose per-request cost bounds the node's rate. False, with
   * nothing answered or counted, for any other request: handle() then takes it.
   */
  serveNow (req: IncomingMessage, res: ServerResponse, rest: string): boolean {
    if (req.method !== 'GET' || this.components.store.getNow === undefined) return false
    const started = performance.now()
    const key = keyOf(rest)
    const bytes = key === undefined ? undefined : this.components.store.getNow(key)
    if (key === undefined || bytes === undefined) return false
    this.counters.gets++
    this.counters.hits++
    this.components.onGet?.({ key, source: 'local', bytes: bytes.byteLength, ms: performance.now() - started })
    res.writeHead(200, { 'Content-Type': CACHE_ENTRY_TYPE, 'Content-Length': bytes.byteLength })
    res.end(bytes)
    return true
  }

  private async get (req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    this.counters.gets++
    const started = performance.now()
    const gone = new AbortController()
    // Only a client that leaves early aborts: an abort (and its DOMException) on every finished response costs CPU.
    res.once('close', () => { if (!res.writableFinished) gone.abort() })
    let found
    try {
      found = await this.open(key, gone.signal)
    } catch (err) {
      if (gone.signal.aborted) return
      this.counters.internalErrors++
      this.components.logger.warn({ err, key }, 'cache read failed: answering 404')
    }
    const entry = found?.entry
    const ms = performance.now() - started
    if (entry === undefined) {
      this.counters.misses++
      this.components.onGet?.({ key, source: 'miss', bytes: 0, ms })
      return this.reply(req, res, 404, '')
    }
    this.counters.hits++
    this.components.onGet?.({ key, source: found?.source ?? 'local', bytes: entry.size, ms })
    res.writeHead(200, { 'Content-Type': CACHE_ENTRY_TYPE, 'Content-Length': entry.size })
    if (entry.bytes !== undefined) {
      // Small entries, and peer fetches verified in memory, arrive as bytes: one write costs a quarter of the CPU of a stream pipeline.
      res.end(entry.bytes)
      return
    }
    try {
      if (entry.file !== undefined) await this.files.send(entry.file, entry.size, res, gone.signal)
      else await pipeline(entry.body, res, { signal: gone.signal })
    } catch (err) {
      if (!gone.signal.aborted) this.components.logger.warn({ err, key }, 'cache response failed mid-body')
      res.destroy()
    } finally {
      entry.body.destroy()
    }
  }

  /** The local store first, then (with a hard deadline) whatever finds missing entries. */
  private async open (key: string, signal: AbortSignal): Promise<{ entry: FoundEntry | undefined, source: 'local' | 'peer' }> {
    const local = await this.components.store.get(key, { signal })
    const fetchMissing = this.components.fetchMissing
    if (local != null || fetchMissing == null || signal.aborted) return { entry: foundOf(local), source: 'local' }
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.missDeadlineMs)])
    const found = await fetchMissing(key, deadline).catch((err: unknown) => {
      this.components.logger.debug({ err, key }, 'peer lookup failed')
      return false
    })
    if (found instanceof Uint8Array) return { entry: { size: found.byteLength, bytes: found }, source: 'peer' }
    return { entry: found ? foundOf(await this.components.store.get(key, { signal })) : undefined, source: 'peer' }
  }

  private async head (res: ServerResponse, key: string): Promise<void> {
    this.counters.heads++
    // the blob file is stat'ed, so HEAD and GET agree on a file gone or truncated; a HEAD never hashes a blob
    const meta = await this.components.store.head(key, { statBlob: true }).catch((err: unknown) => {
      this.components.logger.warn({ err, key }, 'cache head failed: answering 404')
    })
    res.writeHead(meta == null ? 404 : 200, meta == null ? { 'Content-Length': 0 } : { 'Content-Length': meta.size })
    res.end()
  }

  /**
   * For a request that sent `Expect: 100-continue`, before its body comes: a cache PUT whose Content-Length is over
   * the limit is answered here (202, dropped and counted, as any oversized entry) with Connection: close, so the
   * client never sends the body; true then. False for any other request: the caller asks for the body
   * (100 Continue) and hands the request to handle().
   */
  refuseBeforeBody (req: IncomingMessage, res: ServerResponse, rest: string): boolean {
    const key = keyOf(rest)
    const declared = declaredSize(req)
    if (req.method !== 'PUT' || key === undefined || !this.overLimit(declared)) return false
    this.counters.puts++
    this.countOversized(key, declared)
    res.setHeader('Connection', 'close') // the body is neither sent nor read: the connection cannot carry another request
    this.reply(req, res, 202, this.oversizedMessage())
    return true
  }

  private async put (req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    this.counters.puts++
    const declared = declaredSize(req)
    if (this.overLimit(declared)) return this.dropOversized(req, res, key, declared)
    try {
      const meta = await this.components.store.put(key, req, this.putOptions(key, declared))
      this.counters.stored++
      this.reply(req, res, 200, '')
      this.components.onStored?.(meta).catch((err: unknown) => { this.components.logger.warn({ err, key }, 'announcing a stored entry failed') })
    } catch (err) {
      if ((err as { name?: string }).name === 'TooLargeError') return this.dropOversized(req, res, key, declared)
      // a request whose whole body was read is destroyed too (Node does that): only an incomplete one was cut short
      if (!req.complete && (req.readableAborted || req.destroyed)) {
        this.counters.aborted++
        this.components.logger.debug({ key }, 'cache PUT aborted by the client: nothing stored')
        return
      }
      // A 5xx would turn Gradle's remote cache off for the whole build: losing one entry is cheaper.
      this.counters.internalErrors++
      this.components.logger.warn({ err, key }, 'cache PUT failed: nothing stored')
      req.resume() // the rest of the body, if the store stopped reading, is drained so the connection stays usable
      this.reply(req, res, 202, 'the entry could not be stored\n')
    }
  }

  /** Whether a request's declared Content-Length is more than the largest entry taken. */
  private overLimit (declared: number | undefined): declared is number {
    return declared != null && declared > this.maxEntryBytes
  }

  private putOptions (key: string, declared: number | undefined): PutOptions {
    const options: PutOptions = { maxSize: this.maxEntryBytes }
    if (declared != null) options.expectedSize = declared
    const proofOf = this.components.proofOf
    if (proofOf === undefined) return options
    options.proofOf = blob => {
      try {
        return proofOf({ key, sha256: blob.sha256, size: blob.size })
      } catch (err) {
        // the entry is still worth storing: it is then signed after the put, as onStored's business
        this.components.logger.warn({ err, key }, 'signing a stored entry failed: storing it without its proof')
        return undefined
      }
    }
    return options
  }

  private async dropOversized (req: IncomingMessage, res: ServerResponse, key: string, size?: number): Promise<void> {
    this.countOversized(key, size)
    req.resume()
    // settles at once for a request already ended or destroyed (its 'close' may have fired before this)
    await finished(req).catch(() => {})
    this.reply(req, res, 202, this.oversizedMessage())
  }

  private countOversized (key: string, size: number | undefined): void {
    this.counters.oversized++
    this.components.logger.info({ key, size, limit: this.maxEntryBytes }, 'cache entry over the size limit: dropped')
  }

  private oversizedMessage (): string {
    return `entry over the ${this.maxEntryBytes}-byte limit: not stored\n`
  }

  private reply (req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
    if (res.headersSent || res.destroyed) return
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}

/** The Gradle cache key a path below `/cache/` names (its query dropped), or undefined when it is malformed. */
function keyOf (rest: string): string | undefined {
  const key = rest.split('?', 1)[0] ?? ''
  return GRADLE_KEY_PATTERN.test(key) ? key : undefined
}

/** The request's Content-Length, or undefined without one. */
export function declaredSize (req: IncomingMessage): number | undefined {
  return req.headers['content-length'] == null ? undefined : Number(req.headers['content-length'])
}
