import type { PeerId } from '../../protocols/core/index.js'
import { CAS_PROTOCOL, casFrameCodec, fetchResponseHeader, recordProof } from '../../protocols/cache/index.js'
import type { FetchResult, HeaderDecision, SignedRecord } from '../../protocols/cache/index.js'
import { Purpose, corrupt, decodeRequest, decodeResponse, encodeRequest, encodeResponse, storedSha256 } from './blobs.js'
import type { PurposeValue } from './blobs.js'
import { BodyFlows } from './body-flows.js'
import type { CacheHarness } from './harness.js'
import { ReplicaPulls } from './replica-pulls.js'
import { CAS_RESPONSE, newTransferStats, transferId } from './transfer.js'
import type { Transfer, TransferStats } from './transfer.js'
import { UploadLimits } from './uploads.js'

export { CAS_RESPONSE, isCasVia } from './transfer.js'
export type { TransferStats } from './transfer.js'

/**
 * The `/gmesh/cas/1.0.0` side of cache-host.ts on the virtual network. A fetch is a request message and a header
 * message (found / missing / busy, or a reset stream), then, once `onFetchHeader` accepts it, a body that takes time
 * (`BodyFlows`: size over a shared card's rate) with `onFetchProgress` as the node reports it, the store's SHA-256
 * and size check and `onFetchResult` (ok / corrupt / missing / timeout / error). The header's deadline does not bound
 * the body: the lookup calls it off (`cancelFetch`) at its own deadline or when it stalls. A provider's process that
 * dies resets its streams (its askers get `error`); a paused one goes silent. Replica pushes are one frame; an
 * accepting replica pulls the bytes the same way, checks them against the offer and calls `localStored`.
 */
export class BlobTransfers {
  readonly stats: TransferStats = newTransferStats()
  readonly flows: BodyFlows
  private readonly pulls: ReplicaPulls
  private readonly limits = new UploadLimits()
  private readonly transfers = new Map<string, Transfer>()
  /** node|key -> providers that answered that lookup busy. */
  private readonly busySeen = new Map<string, Set<PeerId>>()
  private nextToken = 0

  constructor (private readonly host: CacheHarness) {
    const { faults, engine } = host.parts
    this.flows = new BodyFlows(engine, host.bandwidth, { live: i => faults.isLive(i), reachable: (a, b) => faults.reachable(a, b) })
    this.pulls = new ReplicaPulls(host, {
      flows: this.flows,
      stats: this.stats,
      start: (...args) => { this.start(...args) },
      drop: transfer => { this.drop(transfer) },
      verified: (body, sha256, size) => this.verified(body, sha256, size),
      held: (node, key) => { this.held(node, key) }
    })
  }

  /** A `fetch` command: ask `peer` for `key`; its header must come by `deadline`. */
  fetch (node: number, key: string, peer: PeerId, attempt: number, deadline: number): void {
    this.start(node, Purpose.lookup, key, peer, deadline, Infinity, undefined, 0, attempt)
  }

  /** A `cancelFetch` command: abort the stream; like cache-host, the abort reports `timeout` a moment later. */
  cancel (node: number, key: string, peer: PeerId, attempt: number): void {
    const transfer = this.transfers.get(transferId(node, Purpose.lookup, key, peer))
    if (transfer?.attempt !== attempt) return
    const accepted = transfer.phase === 'body'
    this.drop(transfer)
    const { engine } = this.host.parts
    engine.at(engine.now, () => { this.report(transfer, 'timeout', accepted) })
  }

  /** A `push` command: offer `record` to `to` (one frame, no body); an accepting replica pulls the bytes. */
  push (node: number, record: SignedRecord, to: PeerId): void {
    this.pulls.push(node, record, to)
  }

  /** The lookup of `key` on `node` answered: its busy providers are forgotten. */
  lookupAnswered (node: number, key: string): void {
    this.busySeen.delete(`${node}|${key}`)
  }

  /** The node's process died: its own transfers end; its uploads' streams are reset, so their askers get an error. */
  forget (node: number): void {
    for (const transfer of [...this.transfers.values()]) {
      if (transfer.client === node) this.drop(transfer)
      else if (transfer.server === node && transfer.phase !== 'asked' && !transfer.reset) this.resetByCrash(transfer)
    }
  }

  /** A request reached a node whose process is dead: its OS refuses the stream. */
  refused (server: number, from: number, bytes: Uint8Array): void {
    const { purpose, token, frame } = decodeRequest(bytes)
    const request = casFrameCodec.decode(frame)
    if (request.type !== 'fetch' || request.by !== 'key') return
    this.stats.refusedByDead++
    this.host.transport.send(server, from, CAS_RESPONSE, encodeResponse(purpose, token, request.gradleKey, undefined))
  }

  /** A request arrived at a server: a fetch (reset, busy, or a header and its body) or a push offer. */
  onRequest (server: number, from: number, bytes: Uint8Array): void {
    const { purpose, token, frame: raw } = decodeRequest(bytes)
    const frame = casFrameCodec.decode(raw)
    if (frame.type === 'push') {
      if (this.limits.admitsStream(server, from)) {
        this.pulls.onOffer(server, from, raw, frame.record, token)
        return
      }
      this.stats.resets++
      this.pulls.offerAgain(from, frame.record, server, token)
      return
    }
    if (frame.type !== 'fetch' || frame.by !== 'key') return
    const transfer = this.transfers.get(transferId(from, purpose, frame.gradleKey, this.host.node(server).peer))
    // the asker gave up before the request was handled (the provider was paused): nobody reads the answer
    if (transfer?.token !== token || transfer.phase !== 'asked') return
    const answer = this.limits.admit(server, from)
    if (answer === 'reset') this.stats.resets++
    if (answer === 'busy') this.stats.busy++
    const header = answer === 'serve' ? this.serve(server, transfer) : answer === 'busy' ? fetchResponseHeader('key', undefined, true) : undefined
    this.host.transport.send(server, from, CAS_RESPONSE, encodeResponse(purpose, token, frame.gradleKey, header))
  }

  /** A header (or a reset) arrived at a fetcher. */
  onResponse (node: number, from: number, bytes: Uint8Array): void {
    const response = decodeResponse(bytes)
    const peer = this.host.node(from).peer
    const transfer = this.transfers.get(transferId(node, response.purpose, response.key, peer))
    if (transfer?.token !== response.token || (transfer.phase === 'body' && response.header !== undefined)) return
    if (response.header === undefined) {
      const accepted = transfer.phase === 'body'
      this.drop(transfer)
      this.report(transfer, 'error', accepted)
      this.pulls.failed(transfer)
      return
    }
    if (transfer.reset) return // the provider died after sending it: its reset follows
    this.host.node(node).peers?.recordRtt(peer, this.host.parts.engine.now - transfer.startedAt)
    if (transfer.purpose === Purpose.pull) this.pulls.onHeader(transfer, response.header)
    else this.lookupHeader(transfer, response.header)
  }

  /** The provider's answer to a fetch it may serve: the header of what it holds, its body ready to stream. */
  private serve (server: number, transfer: Transfer): Uint8Array {
    const held = this.host.node(server).store.get(transfer.key)
    const r = held?.record
    const header = fetchResponseHeader('key', r === undefined ? undefined : { key: r.gradleKey, sha256: r.sha256, size: r.size, producer: r.producer, signature: recordProof(r) })
    if (held === undefined) return header
    let body = held.bytes
    if (this.host.parts.malicious.has(server)) {
      body = corrupt(body, this.host.parts.engine.random)
      this.stats.servedCorrupt++
    }
    transfer.body = body
    transfer.phase = 'served'
    transfer.uploading = true
    this.limits.uploadStarted(server, transfer.client)
    return header
  }

  private lookupHeader (transfer: Transfer, header: Uint8Array): void {
    const { client, key, peer, attempt } = transfer
    if (isBusy(header)) {
      this.noteBusy(client, key, peer)
      this.host.parts.observer.onBusy?.(client, key, peer, this.host.parts.engine.now)
    }
    const decision = this.host.input(client, (cache, now) => this.host.forgery.at('fetch-header', () => cache.onFetchHeader(key, peer, header, now, attempt)))
    if (decision === undefined) return
    const body = transfer.body
    if (!decision.accept || body === undefined) {
      this.drop(transfer)
      this.report(transfer, 'missing', false)
      return
    }
    transfer.phase = 'body'
    this.host.parts.observer.onBodyStart?.(client, key, peer, this.host.parts.engine.now)
    transfer.flow = this.flows.start(transfer.server, client, body.length, {
      progress: bytes => {
        this.stats.progressReports++
        this.host.parts.observer.onBodyProgress?.(client, key, peer, bytes, this.host.parts.engine.now)
        this.host.input(client, (cache, now) => { cache.onFetchProgress(key, peer, bytes, now, attempt) })
      },
      done: () => { this.lookupBody(transfer, body, decision) }
    })
  }

  /** All of an accepted body is in: reported as the node does (all bytes, then the store's verdict). */
  private lookupBody (transfer: Transfer, body: Uint8Array, decision: Extract<HeaderDecision, { accept: true }>): void {
    const { client, key, peer, attempt } = transfer
    this.drop(transfer)
    this.host.parts.observer.onBodyProgress?.(client, key, peer, body.length, this.host.parts.engine.now)
    this.host.input(client, (cache, now) => { cache.onFetchProgress(key, peer, body.length, now, attempt) })
    if (!this.verified(body, decision.sha256, decision.size)) {
      this.stats.corruptRejected++
      this.report(transfer, 'corrupt', true)
      return
    }
    this.host.node(client).store.set(key, { record: decision.record, bytes: body })
    this.stats.bytes += body.length
    if (transfer.retry) this.stats.busyRetryHits++
    if (this.host.bandwidth.isDripping(transfer.server)) this.stats.dripHits++
    this.report(transfer, 'ok', true)
    this.held(client, key)
  }

  /** The store's check (`expectedSha256`, `expectedSize`); a broken driver under test may skip it. */
  private verified (body: Uint8Array, sha256: string, size: number): boolean {
    if (this.host.parts.verifyFetches === false) return true
    return body.length === size && storedSha256(body) === sha256
  }

  private start (node: number, purpose: PurposeValue, key: string, peer: PeerId, headerBy: number, doneBy: number, offered?: SignedRecord, offerTry = 0, attempt?: number): void {
    const server = this.host.indexOf(peer)
    if (server === undefined) return
    const { engine } = this.host.parts
    const id = transferId(node, purpose, key, peer)
    const earlier = this.transfers.get(id)
    if (earlier !== undefined) this.drop(earlier)
    const transfer: Transfer = {
      id, token: ++this.nextToken, purpose, client: node, server, peer, key, startedAt: engine.now, phase: 'asked', uploading: false, reset: false,
      retry: purpose === Purpose.lookup && this.busySeen.get(`${node}|${key}`)?.has(peer) === true, offerTry,
      ...(offered === undefined ? {} : { offered }),
      ...(attempt === undefined ? {} : { attempt })
    }
    this.transfers.set(id, transfer)
    this.stats.fetches++
    if (transfer.retry) this.stats.busyRetried++
    if (purpose === Purpose.pull) this.limits.offerStream(node, server, 1)
    else this.host.parts.observer.onFetchStart?.(node, key, peer, engine.now)
    this.host.node(node).peers?.transferStarted(peer)
    this.host.transport.send(node, server, CAS_PROTOCOL, encodeRequest(purpose, transfer.token, casFrameCodec.encode({ type: 'fetch', by: 'key', gradleKey: key })))
    engine.at(Math.max(engine.now, headerBy), () => { if (transfer.phase !== 'body') this.expire(transfer) })
    if (doneBy !== Infinity) engine.at(doneBy, () => { this.expire(transfer) })
  }

  private expire (transfer: Transfer): void {
    if (this.transfers.get(transfer.id) !== transfer) return
    const accepted = transfer.phase === 'body'
    this.drop(transfer)
    this.report(transfer, 'timeout', accepted)
    this.pulls.failed(transfer)
  }

  /** The provider's process died mid-upload: the body stops, and the reset reaches the asker after the link's latency. */
  private resetByCrash (transfer: Transfer): void {
    transfer.reset = true
    if (transfer.flow !== undefined) this.flows.stop(transfer.flow)
    this.endUpload(transfer)
    this.stats.cutByCrash++
    this.host.transport.send(transfer.server, transfer.client, CAS_RESPONSE, encodeResponse(transfer.purpose, transfer.token, transfer.key, undefined))
  }

  /** The transfer is over on both sides: its body stops, the provider's upload and the asker's load end. */
  private drop (transfer: Transfer): void {
    if (this.transfers.get(transfer.id) !== transfer) return
    this.transfers.delete(transfer.id)
    if (transfer.flow !== undefined) this.flows.stop(transfer.flow)
    this.endUpload(transfer)
    if (transfer.purpose === Purpose.pull) this.limits.offerStream(transfer.client, transfer.server, -1)
    this.host.node(transfer.client).peers?.transferEnded(transfer.peer)
  }

  private endUpload (transfer: Transfer): void {
    if (!transfer.uploading) return
    transfer.uploading = false
    this.limits.uploadEnded(transfer.server, transfer.client)
  }

  private noteBusy (node: number, key: string, peer: PeerId): void {
    const id = `${node}|${key}`
    const seen = this.busySeen.get(id) ?? new Set<PeerId>()
    seen.add(peer)
    this.busySeen.set(id, seen)
  }

  /** The protocol announces what it fetched or was pushed (`localStored`) unless configured not to. */
  private held (node: number, key: string): void {
    if (this.host.parts.cacheConfig?.announceHeld !== false) this.host.parts.observer.onHeld(node, key, this.host.parts.engine.now)
  }

  /** A lookup fetch's end, as the driver reports it; a paused node reports it when it resumes. */
  private report (transfer: Transfer, result: FetchResult, accepted: boolean): void {
    if (transfer.purpose !== Purpose.lookup) return
    const { client, key, peer, attempt } = transfer
    this.host.whenLive(client, () => {
      this.host.parts.observer.onFetchResult(client, key, peer, result, accepted, this.host.parts.engine.now)
      this.host.input(client, (cache, now) => { cache.onFetchResult(key, peer, result, now, attempt) })
    })
  }
}

function isBusy (header: Uint8Array): boolean {
  try {
    const frame = casFrameCodec.decode(header)
    return frame.type === 'fetch-response' && frame.status === 'busy'
  } catch {
    return false
  }
}

