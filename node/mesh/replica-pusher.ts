import { setTimeout as sleep } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { casFrameCodec, CAS_PROTOCOL, offerDeadlineMs, REPLICA_TIMING, type PushStatus, type SignedRecord } from '../../protocols/cache/index.js'
import { callRpc, type MeshLibp2p } from '../libp2p/index.js'
import { KeyedLanes } from './keyed-lanes.js'

/** Offers `record` to `to` and resolves to its push-ack status; rejects if the stream failed (reset, deadline). */
export type SendPush = (record: SignedRecord, to: string, signal: AbortSignal) => Promise<PushStatus>

/** How one push ended: the replica has it, refused it, or could not be reached in `maxAttempts` tries. */
export type PushOutcome = 'pushed' | 'refused' | 'failed'

export interface ReplicaPusherInit {
  send: SendPush
  /** Told once per push how it ended (stats, logs). */
  onDone: (record: SignedRecord, to: string, outcome: PushOutcome) => void
  /** Waits between tries; injected so that tests need not wait. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Pushes to one peer at once. Default 4. */
  maxInFlightPerPeer?: number
  /** Tries of one push (a reset stream, `busy`, an error) before it is given up. Default REPLICA_TIMING.offerTries. */
  maxAttempts?: number
  /** Wait before the second try, doubled for each further one. Default REPLICA_TIMING.retryBaseMs. */
  retryBaseMs?: number
  /** Pushes waiting for one peer; more are given up at once. Default 4096. */
  maxQueuedPerPeer?: number
  /** Peers pushed to at once; a push to another is given up at once. Default 1024. */
  maxPeers?: number
}

/**
 * Sends replica offers, a few per target at a time, and tries a failed one again after a backoff.
 * A replica holds the offer's stream while it pulls the bytes: a burst of PUTs that offered every
 * entry at once went past the replica's per-peer stream limit, and the offers reset there were lost.
 * An entry already offered to a target (waiting or in flight) is not offered to it again: the backlog
 * re-offering a big entry pulled slowly (2, 6, 14, 30 min...) took one of the target's lanes each time
 * while the first pull went on, and held the PUTs behind it; the offer under way reports for both.
 */
export class ReplicaPusher {
  private readonly lanes: KeyedLanes<SignedRecord>
  private readonly delay: (ms: number, signal: AbortSignal) => Promise<void>
  private readonly maxAttempts: number
  private readonly retryBaseMs: number
  /** The (target, entry) pairs waiting or in flight. */
  private readonly offering = new Set<string>()

  constructor (private readonly init: ReplicaPusherInit, private readonly signal: AbortSignal) {
    this.delay = init.delay ?? (async (ms, signal) => { await sleep(ms, undefined, { signal }) })
    this.maxAttempts = init.maxAttempts ?? REPLICA_TIMING.offerTries
    this.retryBaseMs = init.retryBaseMs ?? REPLICA_TIMING.retryBaseMs
    this.lanes = new KeyedLanes<SignedRecord>({
      run: async (to, record) => {
        const outcome = await this.deliver(record, to).finally(() => { this.offering.delete(pair(to, record)) })
        if (outcome !== undefined) this.init.onDone(record, to, outcome)
      },
      maxRunning: init.maxInFlightPerPeer ?? 4,
      maxWaiting: init.maxQueuedPerPeer ?? 4096,
      maxKeys: init.maxPeers ?? 1024,
      signal
    })
  }

  /** Queues an offer of `record` to `to`, unless the same entry is offered to `to` already (waiting or in flight). */
  push (record: SignedRecord, to: string): void {
    if (this.signal.aborted || this.offering.has(pair(to, record))) return
    if (!this.lanes.add(to, record)) {
      this.init.onDone(record, to, 'failed')
      return
    }
    this.offering.add(pair(to, record))
  }

  /** `peer` left: the offers still waiting for it are given up (those in flight end on their own). */
  forget (peer: string): void {
    for (const record of this.lanes.drain(peer)) {
      this.offering.delete(pair(peer, record))
      this.init.onDone(record, peer, 'failed')
    }
  }

  /** Tries the offer until it is answered for good or out of tries; undefined once the node stops. */
  private async deliver (record: SignedRecord, to: string): Promise<PushOutcome | undefined> {
    for (let attempt = 1; ; attempt++) {
      let status: PushStatus | 'error'
      try {
        status = await this.init.send(record, to, this.signal)
      } catch {
        status = 'error'
      }
      if (this.signal.aborted) return undefined
      if (status === 'stored' || status === 'have') return 'pushed'
      if (status === 'refused') return 'refused'
      if (attempt >= this.maxAttempts) return 'failed'
      try {
        await this.delay(this.retryBaseMs * 2 ** (attempt - 1), this.signal)
      } catch {
        return undefined
      }
    }
  }
}

/** The offer of `record`'s entry (its key and bytes) to `to`. */
function pair (to: string, record: SignedRecord): string {
  return `${to} ${record.gradleKey} ${record.sha256}`
}

/**
 * Offers `record` to `to` on the blob protocol: one `push` frame, answered by a `push-ack` once the replica pulled it
 * (waited for longer the bigger the entry: `offerDeadlineMs`).
 */
export async function sendPushOffer (libp2p: MeshLibp2p, record: SignedRecord, to: string, signal: AbortSignal): Promise<PushStatus> {
  const ack = await callRpc(libp2p, peerIdFromString(to), CAS_PROTOCOL, casFrameCodec.encode({ type: 'push', record }), { signal, deadlineMs: offerDeadlineMs(record.size) })
  const frame = casFrameCodec.decode(ack)
  return frame.type === 'push-ack' ? frame.status : 'refused'
}
