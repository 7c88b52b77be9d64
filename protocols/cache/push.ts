import { CodecError } from '../core/index.js'
import type { PeerId } from '../core/index.js'
import type { PeerLoadView } from './provider-choice.js'
import { casFrameCodec } from './messages.js'
import type { PushStatus } from './messages.js'
import { BadSignatureError, UntrustedProducerError } from './errors.js'
import type { SignedRecord, Verifier } from './record.js'
import { shouldAcceptPush } from './rendezvous.js'
import type { ReplicationConfig } from './rendezvous.js'
import { assertAcceptableRecord } from './trust.js'
import { pullDeadlineMs, type PullTiming } from './pull-pace.js'
import type { PullCooldownConfig } from './pull-cooldown.js'
import type { EarlyResetConfig } from './early-resets.js'
import type { TrustPolicy } from './trust.js'

/**
 * What a node does with a replica push offer: if accepted, fetch the bytes from the pusher by key
 * (verified as any fetch) into the store, then answer `stored` (`have` if it already held the
 * key); otherwise answer the decision's status at once.
 */
export type PushDecision =
  | { readonly accept: true, readonly record: SignedRecord }
  | { readonly accept: false, readonly status: Exclude<PushStatus, 'stored'>, readonly reason: PushRefusal }

/** Replication's timings, the same on a node (replica-pusher.ts, cache-host.ts) and in the simulator. */
export const REPLICA_TIMING = Object.freeze({
  /**
   * A push offer's answer is awaited as long as the replica's pull of it may take (`pullDeadlineMs`, at the lowest
   * share) plus this, for the replica's decision and its store hashing and syncing the entry after its last byte
   * (`offerDeadlineMs`): a pull slow but keeping its pace is answered `stored`, not taken for a failed try.
   */
  offerTimeoutMs: 30_000,
  /** Pulls one pusher may have running at a replica; each owes at least its rate over this many. */
  maxPullsPerPusher: 8,
  /** The replica's pull must bring its header within this. */
  pullHeaderMs: 25_000,
  /** After its header, the replica's pull is abandoned once no byte came for this long... */
  pullStallMs: 20_000,
  /**
   * ...or once its last `pullWindowMs` (judged every `pullSliceMs`) brought less than its own share of this rate: the
   * rate divided by its pusher's pulls running here (`PullPace`), each pull judged on its own (one ahead of its share
   * does not make up for another behind). An honest pusher on a slow uplink split over many pulls keeps them; one
   * trickling a byte every few seconds does not.
   */
  minPusherPullBytesPerSecond: 32 * 1024,
  pullWindowMs: 30_000,
  pullSliceMs: 5_000,
  /**
   * ...or once it ran past its absolute deadline (`pullDeadlineMs`): its header's time, a window, the entry at the lowest
   * share of that rate, and this slack, but at most `pullMaxMs`. A pusher can hold a pull slot only by paying its share
   * of the rate, and not for ever.
   */
  pullSlackMs: 20_000,
  /**
   * 2 h, not the 7.1 h 100 MiB (maxPushBytes) takes at the lowest share (4 KiB/s): it needs 14.2 KiB/s for that pull. An
   * honest pusher has at most 4 offers in flight per replica (ReplicaPusher), 12 pulls at once for 3 replicas, and a
   * 1.5 Mbit/s uplink (183 KiB/s) gives each 15 KiB/s: every pull of its biggest entries beats it; a 1 Mbit/s one gets
   * them through with 8 pulls at once (15 KiB/s each). A pusher paying only the lowest share holds a slot 2 h, not 7.
   */
  pullMaxMs: 2 * 3600_000,
  /**
   * A pusher whose pull ended by its own fault (too slow for its pace, past its deadline, stalled, its header late or
   * wrong, bytes that prove it served another entry, its stream gone mid-body once the pace judges it, or gone early
   * once too often: `pullFault`, `EarlyResets`) starts no new pull here for this long, doubled on each fault after a
   * cool-down ended, up to `pullCooldownMaxMs`; it starts over once it had none for `pullCooldownForgetMs`
   * (`PullCooldowns`). Its offers meanwhile are answered `busy`.
   */
  pullCooldownMs: 2 * 60_000,
  pullCooldownMaxMs: 60 * 60_000,
  pullCooldownForgetMs: 60 * 60_000,
  /**
   * A pull whose stream was reset or closed before its pace judged it (before its header, or in the body's free first
   * window) is no fault once, but a pusher's third such episode within `pullEarlyResetsWithinMs` is, and each later
   * one while three fall within it (`EarlyResets`); its pulls ended within `pullEarlyResetTogetherMs` of each other are
   * one episode (a dropped connection ends them all at once).
   */
  pullEarlyResets: 3,
  pullEarlyResetsWithinMs: 10 * 60_000,
  pullEarlyResetTogetherMs: 5_000,
  /** Tries of one offer (a reset stream, `busy`, an error) before it is given up. */
  offerTries: 4,
  /** Wait before an offer's second try, doubled for each further one. */
  retryBaseMs: 500
})

/**
 * How long a pusher waits for the answer to an offer of an entry of `size` bytes: the replica's pull of it may take up
 * to `pullDeadlineMs` (REPLICA_TIMING's: 25 s + 30 s + the entry at 4 KiB/s + 20 s, at most 2 h), then its store
 * checks and syncs it. 1 MiB: 6 min; 100 MiB: 2 h 30 s.
 */
export function offerDeadlineMs (size: number): number {
  return pullDeadlineMs(size, DEFAULT_PULL_TIMING, REPLICA_TIMING.maxPullsPerPusher) + REPLICA_TIMING.offerTimeoutMs
}

/** `REPLICA_TIMING`'s pull timings (`PullPace`; tests shorten them). */
export const DEFAULT_PULL_TIMING: PullTiming = Object.freeze({
  headerMs: REPLICA_TIMING.pullHeaderMs,
  windowMs: REPLICA_TIMING.pullWindowMs,
  sliceMs: REPLICA_TIMING.pullSliceMs,
  minPusherBytesPerSecond: REPLICA_TIMING.minPusherPullBytesPerSecond,
  slackMs: REPLICA_TIMING.pullSlackMs,
  maxMs: REPLICA_TIMING.pullMaxMs
})

/** `REPLICA_TIMING`'s cool-downs (`PullCooldowns`), remembering at most 1024 pushers. */
export const DEFAULT_PULL_COOLDOWN: PullCooldownConfig = Object.freeze({
  baseMs: REPLICA_TIMING.pullCooldownMs,
  maxMs: REPLICA_TIMING.pullCooldownMaxMs,
  forgetMs: REPLICA_TIMING.pullCooldownForgetMs,
  maxPushers: 1024
})

/** `REPLICA_TIMING`'s count of early resets (`EarlyResets`), remembering at most 1024 pushers. */
export const DEFAULT_EARLY_RESETS: EarlyResetConfig = Object.freeze({
  togetherMs: REPLICA_TIMING.pullEarlyResetTogetherMs,
  withinMs: REPLICA_TIMING.pullEarlyResetsWithinMs,
  episodes: REPLICA_TIMING.pullEarlyResets,
  maxPushers: 1024
})

export type PushRefusal = 'malformed' | 'bad-signature' | 'untrusted-producer' | 'not-a-replica' | 'penalised-pusher' | 'not-a-member'

export interface PushContext {
  readonly self: PeerId
  readonly verify: Verifier
  readonly trust: TrustPolicy
  readonly peers: PeerLoadView
  readonly replication: ReplicationConfig
  /** Whether `peer` is penalised now (the lookup's penalties): its offers are refused, so it cannot make this node pull garbage again. */
  readonly isPenalised: (peer: PeerId) => boolean
}

/** Decides on an inbound push header (bytes of one `push` frame on `/gmesh/cas/1.0.0`). */
export function decidePush (ctx: PushContext, from: PeerId, header: Uint8Array): PushDecision {
  let frame
  try {
    frame = casFrameCodec.decode(header)
  } catch (err) {
    if (err instanceof CodecError) return refuse('malformed')
    throw err
  }
  if (frame.type !== 'push') return refuse('malformed')
  if (ctx.isPenalised(from)) return refuse('penalised-pusher')
  // a pull takes a slot here: only a member this node holds live may have one, not any key that dials in. Answered
  // `busy`, not `refused`: a pusher that just joined or restarted is live here a heartbeat or two later, and its offer's
  // next try (0.5, 1, 2 s on) is then taken instead of waiting for its backlog's next round, minutes on
  if (!ctx.peers.isAlive(from)) return { accept: false, status: 'busy', reason: 'not-a-member' }
  const { record } = frame
  try {
    assertAcceptableRecord(record, ctx.verify, ctx.trust)
  } catch (err) {
    if (err instanceof BadSignatureError) return refuse('bad-signature')
    if (err instanceof UntrustedProducerError) return refuse('untrusted-producer')
    throw err
  }
  if (!shouldAcceptPush(record.gradleKey, ctx.self, from, ctx.peers.alivePeers(), record.size, ctx.replication)) return refuse('not-a-replica')
  return { accept: true, record }
}

function refuse (reason: PushRefusal): PushDecision {
  return { accept: false, status: 'refused', reason }
}

/**
 * A replica pulling an accepted offer: may it stream the bytes the pusher's fetch response
 * announces? Only if they are the offered (already verified) entry's hash and size. A pusher too
 * busy to serve the pull is answered `busy` (the offer's next try, or the pusher's backlog, asks again),
 * anything else `refused`. `reason` says whose doing it was: `busy`, `missing` (the pusher let the
 * entry go since) and `changed` are honest answers, `wrong` (the offered hash with another size, not a
 * found fetch response) is not. `changed`: found, but other bytes than the offered hash. The pull asks
 * by Gradle key (the fetch frame carries no hash, and a pusher of this version rejects trailing bytes),
 * so a key PUT again with other bytes between the offer and its pull is served as it is now; that new
 * entry comes in an offer of its own, and these bytes are never read, let alone stored under the
 * offered hash. A pusher gains nothing by it: the pull ends at its header, as on `missing`.
 */
export function checkReplicaPullHeader (offered: SignedRecord, header: Uint8Array):
{ readonly accept: true, readonly sha256: string, readonly size: number } |
{ readonly accept: false, readonly status: 'refused' | 'busy', readonly reason: 'busy' | 'missing' | 'changed' | 'wrong' } {
  try {
    const frame = casFrameCodec.decode(header)
    if (frame.type === 'fetch-response' && frame.status === 'found' && frame.sha256 === offered.sha256 && frame.size === offered.size) {
      return { accept: true, sha256: offered.sha256, size: offered.size }
    }
    if (frame.type === 'fetch-response' && frame.status === 'found' && frame.sha256 !== offered.sha256) return { accept: false, status: 'refused', reason: 'changed' }
    if (frame.type === 'fetch-response' && frame.status === 'busy') return { accept: false, status: 'busy', reason: 'busy' }
    if (frame.type === 'fetch-response' && frame.status === 'missing') return { accept: false, status: 'refused', reason: 'missing' }
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
  }
  return { accept: false, status: 'refused', reason: 'wrong' }
}
