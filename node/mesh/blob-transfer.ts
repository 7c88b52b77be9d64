import type { PeerId } from '@libp2p/interface'
import { casFrameCodec, CAS_HEADER_MAX_BYTES, CAS_PROTOCOL, fetchResponseHeader, type CasFrame } from '../../protocols/cache/index.js'
import { contentKey } from '../../src/cas/keys.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { OpenEntry } from '../../src/cas/types.js'
import type { Logger } from '../../src/config/logger.js'
import { BadRequestError, openRpc, StreamRpcServer, type MeshLibp2p, type RpcBodyResponse, type RpcContext, type RpcReply } from '../libp2p/index.js'
import { SpareStreams } from '../libp2p/spare-streams.js'

/**
 * Decides an inbound push offer and, if taken, pulls the blob; resolves to the push-ack frame. `signal` ends with the
 * offer's stream; `releaseDeadline` lifts the request deadline while the pull shows progress of its own.
 */
export type PushHandler = (from: string, frame: Uint8Array, call: Pick<RpcContext, 'signal' | 'releaseDeadline'>) => Promise<Uint8Array>

export interface BlobServerComponents {
  libp2p: MeshLibp2p
  store: ContentStore
  logger: Logger
  onPush: PushHandler
}

export interface BlobServerInit {
  /** Uploads served at once; more are answered `busy` so the asker tries another provider. */
  maxConcurrentUploads?: number
  /** Time to receive a request and produce the reply header (a push offer lifts it once its pull is under way). Default 30 s. */
  requestTimeoutMs?: number
}

const MAX_CONCURRENT_UPLOADS = 16
/**
 * Streams one peer may have open at once: above the `busy` limit, so that a peer asking for more than this node
 * serves gets `busy` (and asks again or elsewhere), not a reset stream it can only take for a failed provider;
 * replica offers and pulls share the protocol, and an asker keeps one idle spare stream on it (`SpareStreams`), which
 * counts here until it is closed: 6 fetches per provider, 4 offers and a spare stay well under it.
 */
const MAX_STREAMS_PER_PEER = 2 * MAX_CONCURRENT_UPLOADS

/** Counters of the blob protocol, for status and metrics. */
export interface BlobTransferStats {
  uploads: number
  uploadBytes: number
  busy: number
  missing: number
}

/**
 * Serves `/gmesh/cas/1.0.0`: a `fetch` by Gradle key is answered with a header (the signed record,
 * sha256 and size) and then the verified bytes, straight from the store; a `push` offer goes to
 * the cache protocol's replica logic.
 */
export class BlobServer {
  readonly stats: BlobTransferStats = { uploads: 0, uploadBytes: 0, busy: 0, missing: 0 }
  private readonly server: StreamRpcServer
  /** One negotiated fetch stream kept ready per provider this node fetched from lately. */
  readonly spares: SpareStreams
  private active = 0

  constructor (private readonly components: BlobServerComponents, private readonly init: BlobServerInit = {}) {
    this.server = new StreamRpcServer(components.libp2p, {
      protocol: CAS_PROTOCOL,
      maxRequestBytes: CAS_HEADER_MAX_BYTES,
      requestTimeoutMs: init.requestTimeoutMs ?? 30_000,
      maxInboundStreamsPerPeer: Math.max(MAX_STREAMS_PER_PEER, (init.maxConcurrentUploads ?? 0) + MAX_CONCURRENT_UPLOADS),
      handler: async (request, context) => await this.answer(request, context)
    })
    this.spares = new SpareStreams(components.libp2p, { protocol: CAS_PROTOCOL })
  }

  get rpcStats (): StreamRpcServer['stats'] { return this.server.stats }

  async start (): Promise<void> { await this.server.start() }
  async stop (): Promise<void> {
    this.spares.stop()
    await this.server.stop()
  }

  /** `fetchBlob` on this node's spare streams: the first fetch from a provider opens one for the next. */
  async fetch (peer: PeerId, key: string, options: FetchBlobOptions): Promise<RpcBodyResponse> {
    return await fetchBlob(this.components.libp2p, peer, key, { ...options, spares: this.spares })
  }

  private async answer (request: Uint8Array, context: RpcContext): Promise<RpcReply | Uint8Array> {
    const { peer, signal } = context
    let frame: CasFrame
    try {
      frame = casFrameCodec.decode(request)
    } catch (err) {
      throw new BadRequestError(`undecodable ${CAS_PROTOCOL} request: ${(err as Error).message}`)
    }
    if (frame.type === 'push') return await this.components.onPush(peer.toString(), request, context)
    if (frame.type !== 'fetch') throw new BadRequestError(`unexpected ${frame.type} frame on ${CAS_PROTOCOL}`)
    return frame.by === 'key' ? await this.serveFetch('key', frame.gradleKey, signal) : await this.serveFetch('sha256', frame.sha256, signal)
  }

  /**
   * By Gradle key: a cache entry with its signed record. By SHA-256: a blob stored under its content
   * key (a snapshot's manifest and files, which workers fetch from the submitter; test reports).
   */
  private async serveFetch (by: 'key' | 'sha256', key: string, signal: AbortSignal): Promise<RpcReply | Uint8Array> {
    if (this.active >= (this.init.maxConcurrentUploads ?? MAX_CONCURRENT_UPLOADS)) {
      this.stats.busy++
      return fetchResponseHeader(by, undefined, true)
    }
    // the upload counts from here: requests that arrive while the store opens this entry must see it
    this.active++
    const done = (): void => { this.active-- }
    let entry: OpenEntry | undefined
    try {
      entry = await this.components.store.get(by === 'sha256' ? contentKey(key) : key, { signal })
    } catch (err) {
      done()
      throw err
    }
    const header = fetchResponseHeader(by, entry?.meta)
    if (entry == null || isMissing(header)) {
      done()
      entry?.body.destroy()
      this.stats.missing++
      return fetchResponseHeader(by, undefined)
    }
    this.stats.uploads++
    this.stats.uploadBytes += entry.meta.size
    // a small entry the store verified in memory goes out with its header in one write; its upload ends once written
    if (entry.bytes !== undefined) return { header, bytes: entry.bytes, settled: done }
    entry.body.once('close', done)
    return { header, body: entry.body }
  }
}

function isMissing (header: Uint8Array): boolean {
  const frame = casFrameCodec.decode(header)
  return frame.type === 'fetch-response' && frame.status !== 'found'
}

export interface FetchBlobOptions {
  signal: AbortSignal
  /** Dial to reply header. */
  deadlineMs: number
  maxBodyBytes: number
  /** Longest wait for the next body chunk (see `RpcOpenOptions`). */
  bodyStallMs?: number
  /** Spare `/gmesh/cas` streams: the fetch takes the peer's ready one (a fetch is safe to ask twice, see `RpcCallOptions`). */
  spares?: SpareStreams
}

/** Asks `peer` for a blob stored under its own SHA-256 (a snapshot's manifest or file): the header and the streamed body. */
export async function fetchBlobBySha256 (libp2p: MeshLibp2p, peer: PeerId, sha256: string, options: FetchBlobOptions): Promise<RpcBodyResponse> {
  const request = casFrameCodec.encode({ type: 'fetch', by: 'sha256', sha256 })
  return await openRpc(libp2p, peer, CAS_PROTOCOL, request, { ...options, maxReplyBytes: CAS_HEADER_MAX_BYTES })
}

/** Asks `peer` for the entry of a Gradle key: resolves to the response header and the streamed body. */
export async function fetchBlob (libp2p: MeshLibp2p, peer: PeerId, key: string, options: FetchBlobOptions): Promise<RpcBodyResponse> {
  const request = casFrameCodec.encode({ type: 'fetch', by: 'key', gradleKey: key })
  return await openRpc(libp2p, peer, CAS_PROTOCOL, request, { ...options, maxReplyBytes: CAS_HEADER_MAX_BYTES })
}
