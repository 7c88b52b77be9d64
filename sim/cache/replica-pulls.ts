import type { PeerId } from '../../protocols/core/index.js'
import { CAS_PROTOCOL, REPLICA_TIMING, casFrameCodec, checkReplicaPullHeader, offerDeadlineMs } from '../../protocols/cache/index.js'
import type { SignedRecord } from '../../protocols/cache/index.js'
import { Purpose, encodeRequest } from './blobs.js'
import type { BodyFlows } from './body-flows.js'
import type { CacheHarness } from './harness.js'
import type { Transfer, TransferStats } from './transfer.js'

/**
 * A replica's pull: its header within cache-host's deadline, all of it within the time the pusher waits for the offer's
 * answer (`offerDeadlineMs`, longer for a bigger entry; the node's pull keeps going while it keeps its pace, `PullPace`).
 */
const PULL_HEADER_MS = REPLICA_TIMING.pullHeaderMs
/** As node/mesh/replica-pusher.ts: an offer whose pull found the pusher busy (or failed) is made again 500 ms, 1 s, 2 s later. */
const PUSH_TRIES = REPLICA_TIMING.offerTries
const PUSH_RETRY_BASE_MS = REPLICA_TIMING.retryBaseMs

/** What the pulls use of `BlobTransfers`: its table of transfers, the flows, the store's check. */
export interface PullTransfers {
  readonly flows: BodyFlows
  readonly stats: TransferStats
  start: (node: number, purpose: typeof Purpose.pull, key: string, peer: PeerId, headerBy: number, doneBy: number, offered: SignedRecord, offerTry: number) => void
  drop: (transfer: Transfer) => void
  verified: (body: Uint8Array, sha256: string, size: number) => boolean
  held: (node: number, key: string) => void
}

/**
 * Replication as cache-host.ts and replica-pusher.ts run it: a push offer is one frame; a replica that accepts it pulls
 * the bytes by key, checks the header against the offered record (`checkReplicaPullHeader`) and the bytes against its
 * hash, stores them and calls `localStored`; bytes that fail it penalise the pusher, whose offers are refused meanwhile.
 * A pull that found the pusher busy or failed is answered so, and the pusher offers again after a growing wait (4 tries).
 */
export class ReplicaPulls {
  constructor (private readonly host: CacheHarness, private readonly transfers: PullTransfers) {}

  /** A `push` command: offer `record` to `to` (the request's token says which try it is). */
  push (node: number, record: SignedRecord, to: PeerId, offerTry = 1): void {
    const target = this.host.indexOf(to)
    if (target === undefined) return
    if (offerTry === 1) this.transfers.stats.pushes++
    this.host.transport.send(node, target, CAS_PROTOCOL, encodeRequest(Purpose.pull, offerTry, casFrameCodec.encode({ type: 'push', record })))
  }

  /** An offer reached the replica `server` from `from`: the protocol decides, and an accepted one is pulled. */
  onOffer (server: number, from: number, raw: Uint8Array, record: SignedRecord, offerTry: number): void {
    const fromPeer = this.host.node(from).peer
    const decision = this.host.input(server, (cache, now) => this.host.forgery.at('push-offer', () => cache.onPushHeader(fromPeer, raw, now)))
    if (decision?.accept !== true) return
    if (this.host.node(server).store.has(record.gradleKey)) {
      this.acked(from, record, server) // `have`
      return
    }
    const now = this.host.parts.engine.now
    this.transfers.start(server, Purpose.pull, decision.record.gradleKey, fromPeer, now + PULL_HEADER_MS, now + offerDeadlineMs(decision.record.size), decision.record, offerTry)
  }

  /** The pull's header: it must match the offered record, then the bytes stream and must match its hash. */
  onHeader (transfer: Transfer, header: Uint8Array): void {
    const offered = transfer.offered as SignedRecord
    const check = this.host.parts.checkPullHeaders === false ? headerAsSent(offered, header) : checkReplicaPullHeader(offered, header)
    // a forger too busy to serve the pull refused nothing: only a header that does not match the offer counts
    if (!check.accept && check.status === 'refused' && this.host.forgery.isForger(transfer.peer)) this.host.forgery.stats.pullsRefused++
    const body = transfer.body
    if (!check.accept || body === undefined || this.host.node(transfer.client).store.has(offered.gradleKey)) {
      this.transfers.drop(transfer)
      if (!check.accept && check.status === 'busy') this.failed(transfer)
      return
    }
    transfer.phase = 'body'
    transfer.flow = this.transfers.flows.start(transfer.server, transfer.client, body.length, {
      done: () => {
        this.transfers.drop(transfer)
        const store = this.host.node(transfer.client).store
        if (store.has(offered.gradleKey)) return
        if (this.transfers.verified(body, check.sha256, check.size)) this.store(transfer.client, offered, body, transfer.server)
        else this.corrupt(transfer.client, transfer.peer)
      }
    })
  }

  /** A pull found the pusher busy, or its stream failed: the pusher offers again. */
  failed (transfer: Transfer): void {
    if (transfer.purpose !== Purpose.pull || transfer.offered === undefined) return
    this.offerAgain(transfer.server, transfer.offered, transfer.client, transfer.offerTry)
  }

  /** The offer (try `offerTry`) was not taken for a reason that may pass: it is made again later, while tries are left. */
  offerAgain (pusher: number, record: SignedRecord, replica: number, offerTry: number): void {
    if (offerTry >= PUSH_TRIES) return
    const { engine } = this.host.parts
    const to = this.host.node(replica).peer
    engine.at(engine.now + PUSH_RETRY_BASE_MS * 2 ** (offerTry - 1), () => { if (this.host.isLive(pusher)) this.push(pusher, record, to, offerTry + 1) })
  }

  /** A pull brought bytes that are not the offered entry: the pusher is penalised, as cache-host.ts does. */
  private corrupt (node: number, pusher: PeerId): void {
    this.transfers.stats.corruptRejected++
    this.host.input(node, (cache, now) => { cache.onReplicaPullCorrupt(pusher, now) })
  }

  /** A verified replica goes into the store and is announced; the pusher gets its `stored`. */
  private store (node: number, offered: SignedRecord, body: Uint8Array, pusher: number): void {
    this.host.node(node).store.set(offered.gradleKey, { record: offered, bytes: body })
    this.transfers.stats.replicasStored++
    this.host.input(node, (cache, now) => { cache.localStored(offered, now) })
    this.transfers.held(node, offered.gradleKey)
    this.acked(pusher, offered, node)
  }

  /** The replica's `stored`/`have` reaches the pusher (the offer's stream is its answer: no loss, no delay modelled). */
  private acked (pusher: number, record: SignedRecord, replica: number): void {
    const peer = this.host.node(replica).peer
    if (this.host.isLive(pusher)) this.host.input(pusher, cache => { cache.onPushResult(record.gradleKey, peer, 'pushed') })
  }
}

/** What a broken driver takes from a pull's response header: the protocol's check, but of whatever hash and size it names instead of the offer's. */
function headerAsSent (offered: SignedRecord, header: Uint8Array): ReturnType<typeof checkReplicaPullHeader> {
  const frame = casFrameCodec.decode(header)
  const found = frame.type === 'fetch-response' && frame.status === 'found'
  return checkReplicaPullHeader(found ? { ...offered, sha256: frame.sha256 ?? offered.sha256, size: frame.size ?? offered.size } : offered, header)
}
