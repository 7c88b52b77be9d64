import type { PeerId } from '../../protocols/core/index.js'
import { CAS_PROTOCOL, casFrameCodec, checkReplicaPullHeader, fetchResponseHeader, recordProof } from '../../protocols/cache/index.js'
import type { FetchResult, SignedRecord } from '../../protocols/cache/index.js'
import { Purpose, corrupt, decodeRequest, decodeResponse, encodeRequest, encodeResponse, sha256Hex } from './blobs.js'
import type { DecodedResponse, PurposeValue } from './blobs.js'
import type { CacheHarness } from './harness.js'

/** Responses travel on their own "stream" id so the harness can route them to the fetcher. */
export const CAS_RESPONSE = `${CAS_PROTOCOL}#response`

export function isCasVia (via: string): boolean {
  return via === CAS_PROTOCOL || via === CAS_RESPONSE
}

interface PendingFetch {
  readonly token: number
  readonly startedAt: number
  /** A replica pull carries the offered record it must match. */
  readonly offered?: SignedRecord
}

/** What the drivers' blob transfers did, for the run summary. */
export interface TransferStats {
  fetches: number
  corruptRejected: number
  servedCorrupt: number
  pushes: number
  replicasStored: number
  bytes: number
}

/**
 * The `/gmesh/cas/1.0.0` side of cache-host.ts on the virtual network: a fetch is a request
 * message and a response message (header + body, so the body's size costs uplink bandwidth), with
 * the same calls into the protocol: `onFetchHeader`, `onFetchProgress`, the store's SHA-256 and size check,
 * `onFetchResult` (ok / corrupt / missing / timeout), aborts at the deadline or on `cancelFetch`.
 * Replica pushes are one frame; an accepting replica pulls the bytes by key and calls `localStored`.
 */
export class BlobTransfers {
  readonly stats: TransferStats = { fetches: 0, corruptRejected: 0, servedCorrupt: 0, pushes: 0, replicasStored: 0, bytes: 0 }
  private readonly pending = new Map<string, PendingFetch>()
  private nextToken = 0

  constructor (private readonly host: CacheHarness) {}

  /** A `fetch` command: ask `peer` for `key`; abort at `deadline`. */
  fetch (node: number, key: string, peer: PeerId, deadline: number): void {
    this.start(node, Purpose.lookup, key, peer, deadline)
  }

  /** A `cancelFetch` command: abort the stream; like cache-host, the abort reports `timeout` a moment later. */
  cancel (node: number, key: string, peer: PeerId): void {
    const id = fetchId(node, Purpose.lookup, key, peer)
    if (!this.pending.has(id)) return
    this.pending.delete(id)
    this.ended(node, peer)
    const { engine } = this.host.parts
    engine.at(engine.now, () => { this.report(node, key, peer, 'timeout', false) })
  }

  /** A `push` command: offer `record` to `to` (one frame, no body). */
  push (node: number, record: SignedRecord, to: PeerId): void {
    const target = this.host.indexOf(to)
    if (target === undefined) return
    this.stats.pushes++
    this.host.transport.send(node, target, CAS_PROTOCOL, encodeRequest(Purpose.pull, casFrameCodec.encode({ type: 'push', record })))
  }

  /** The node crashed: its transfers die with it. */
  forget (node: number): void {
    for (const id of [...this.pending.keys()]) if (id.startsWith(`${node}|`)) this.pending.delete(id)
  }

  /** A request arrived at a server: a fetch (answer from the store) or a push offer. */
  onRequest (server: number, from: number, bytes: Uint8Array): void {
    const { purpose, frame: raw } = decodeRequest(bytes)
    const frame = casFrameCodec.decode(raw)
    if (frame.type === 'push') {
      this.onPush(server, from, raw, frame.record)
      return
    }
    if (frame.type !== 'fetch' || frame.by !== 'key') return
    const node = this.host.node(server)
    const held = node.store.get(frame.gradleKey)
    const r = held?.record
    const header = fetchResponseHeader('key', r === undefined ? undefined : { key: r.gradleKey, sha256: r.sha256, size: r.size, producer: r.producer, signature: recordProof(r) })
    let body = held?.bytes
    if (body !== undefined && this.host.parts.malicious.has(server)) {
      body = corrupt(body, this.host.parts.engine.random)
      this.stats.servedCorrupt++
    }
    this.host.transport.send(server, from, CAS_RESPONSE, encodeResponse(purpose, frame.gradleKey, header, body))
  }

  /** A response arrived at a fetcher: header decision, then the verified store put (or not). */
  onResponse (node: number, from: number, bytes: Uint8Array): void {
    const response = decodeResponse(bytes)
    const peer = this.host.node(from).peer
    const id = fetchId(node, response.purpose, response.key, peer)
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    this.ended(node, peer)
    this.host.node(node).peers?.recordRtt(peer, this.host.parts.engine.now - pending.startedAt)
    if (response.purpose === Purpose.pull) this.finishPull(node, response, pending.offered as SignedRecord, peer)
    else this.finishLookup(node, peer, response)
  }

  private finishLookup (node: number, peer: PeerId, response: DecodedResponse): void {
    const { key, header, body } = response
    const decision = this.host.input(node, (cache, now) => this.host.forgery.at('fetch-header', () => cache.onFetchHeader(key, peer, header, now)))
    if (decision === undefined) return
    if (!decision.accept) {
      this.report(node, key, peer, 'missing', false)
      return
    }
    // the body came whole with the header: all of it is in at once, as cache-host reports a fast body
    this.host.input(node, (cache, now) => { cache.onFetchProgress(key, peer, body.length, now) })
    if (!this.verified(body, decision.sha256, decision.size)) {
      this.stats.corruptRejected++
      this.report(node, key, peer, 'corrupt', true)
      return
    }
    this.host.node(node).store.set(key, { record: decision.record, bytes: body.slice() })
    this.stats.bytes += body.length
    this.report(node, key, peer, 'ok', true)
    this.held(node, key)
  }

  /** A replica's pull of an accepted push: the header must match the offered record, the bytes its hash. */
  private finishPull (node: number, response: DecodedResponse, offered: SignedRecord, from?: PeerId): void {
    const check = this.host.parts.checkPullHeaders === false ? headerAsSent(response.header) : checkReplicaPullHeader(offered, response.header)
    if (!check.accept && from !== undefined && this.host.forgery.isForger(from)) this.host.forgery.stats.pullsRefused++
    const store = this.host.node(node).store
    if (!check.accept || store.has(offered.gradleKey) || !this.verified(response.body, check.sha256, check.size)) return
    store.set(offered.gradleKey, { record: offered, bytes: response.body.slice() })
    this.stats.replicasStored++
    this.host.input(node, (cache, now) => { cache.localStored(offered, now) })
    this.held(node, offered.gradleKey)
  }

  private onPush (server: number, from: number, raw: Uint8Array, record: SignedRecord): void {
    const fromPeer = this.host.node(from).peer
    const decision = this.host.input(server, cache => this.host.forgery.at('push-offer', () => cache.onPushHeader(fromPeer, raw)))
    if (decision?.accept !== true || this.host.node(server).store.has(record.gradleKey)) return
    this.start(server, Purpose.pull, decision.record.gradleKey, fromPeer, this.host.parts.engine.now + 25_000, decision.record)
  }

  /** The store's check (`expectedSha256`, `expectedSize`); a broken driver under test may skip it. */
  private verified (body: Uint8Array, sha256: string, size: number): boolean {
    if (this.host.parts.verifyFetches === false) return true
    return body.length === size && sha256Hex(body) === sha256
  }

  private start (node: number, purpose: PurposeValue, key: string, peer: PeerId, deadline: number, offered?: SignedRecord): void {
    const target = this.host.indexOf(peer)
    const { engine } = this.host.parts
    if (target === undefined) return
    const id = fetchId(node, purpose, key, peer)
    const token = ++this.nextToken
    this.pending.set(id, { token, startedAt: engine.now, ...(offered === undefined ? {} : { offered }) })
    this.stats.fetches++
    this.host.node(node).peers?.transferStarted(peer)
    this.host.transport.send(node, target, CAS_PROTOCOL, encodeRequest(purpose, casFrameCodec.encode({ type: 'fetch', by: 'key', gradleKey: key })))
    engine.at(Math.max(engine.now, deadline), () => {
      if (this.pending.get(id)?.token !== token) return
      this.pending.delete(id)
      this.ended(node, peer)
      if (purpose === Purpose.lookup) this.report(node, key, peer, 'timeout', false)
    })
  }

  /** The protocol announces what it fetched or was pushed (`localStored`) unless configured not to. */
  private held (node: number, key: string): void {
    if (this.host.parts.cacheConfig?.announceHeld !== false) this.host.parts.observer.onHeld(node, key, this.host.parts.engine.now)
  }

  private ended (node: number, peer: PeerId): void {
    this.host.node(node).peers?.transferEnded(peer)
  }

  private report (node: number, key: string, peer: PeerId, result: FetchResult, accepted: boolean): void {
    if (!this.host.isUp(node)) return
    this.host.parts.observer.onFetchResult(node, key, peer, result, accepted, this.host.parts.engine.now)
    this.host.input(node, (cache, now) => { cache.onFetchResult(key, peer, result, now) })
  }
}

function fetchId (node: number, purpose: PurposeValue, key: string, peer: PeerId): string {
  return `${node}|${purpose}|${key}|${peer}`
}

/** What a broken driver takes from a pull's response header: whatever hash and size it names. */
function headerAsSent (header: Uint8Array): ReturnType<typeof checkReplicaPullHeader> {
  const frame = casFrameCodec.decode(header)
  if (frame.type !== 'fetch-response' || frame.sha256 === undefined || frame.size === undefined) return { accept: false, status: 'refused' }
  return { accept: true, sha256: frame.sha256, size: frame.size }
}
