import type { Millis, PeerId, Random } from '../core/index.js'
import type { PenaltyReason } from './commands.js'
import type { CasFrame } from './messages.js'
import { ExpiringKeys } from './negative-cache.js'
import type { ProviderIndex } from './provider-index.js'
import type { SignedRecord } from './record.js'
import { Substitutions } from './substitutions.js'
import { fetchedRecordFault } from './trust.js'
import type { TrustPolicy } from './trust.js'

/** What the lookup needs to know about other peers (membership and transport give it). */
export interface PeerLoadView {
  /** Smoothed round-trip time to `peer`, or undefined if never measured. */
  rtt: (peer: PeerId) => Millis | undefined
  /** How busy `peer` is (running + queued transfers or work units; 0 = idle). */
  load: (peer: PeerId) => number
  isAlive: (peer: PeerId) => boolean
  /** Live peers other than this node, in a deterministic order. */
  alivePeers: () => readonly PeerId[]
}

/** The part of the lookup's config that decides which providers it asks, in which order. */
export interface ProviderChoiceConfig {
  /** How long a peer that served corrupt bytes or bad signatures is skipped. */
  readonly penaltyMs: Millis
  /** One unit of load weighs like this many milliseconds of RTT in the provider score. */
  readonly loadWeightMs: Millis
  readonly unknownRttMs: Millis
  /** Random jitter added to scores so equally good providers share the load. */
  readonly jitterMs: Millis
  /** Entries larger than this are never fetched: the node would not keep them (its own size limit). */
  readonly maxEntryBytes: number
}

export const DEFAULT_PROVIDER_CHOICE: ProviderChoiceConfig = Object.freeze({
  penaltyMs: 10 * 60 * 1000,
  loadWeightMs: 25,
  unknownRttMs: 100,
  jitterMs: 2,
  maxEntryBytes: Number.POSITIVE_INFINITY
})

export interface ProviderChoiceDeps {
  readonly self: PeerId
  readonly index: ProviderIndex
  readonly trust: TrustPolicy
  readonly peers: PeerLoadView
  readonly random: Random
  /** True when the record's signature verifies against its producer (memoised by the caller). */
  readonly checkSignature: (record: SignedRecord) => boolean
}

/** A provider to ask: a peer, with the record it announced (none when the DHT named it). */
export interface Candidate { readonly peer: PeerId, readonly record?: SignedRecord }

/**
 * What a provider's fetch header makes of it: the record whose bytes to stream, or the result its attempt ends
 * with, and a penalty when the header is misbehaviour.
 */
export type HeaderVerdict =
  | { readonly usable: true, readonly record: SignedRecord }
  | { readonly usable: false, readonly result: 'missing' | 'busy' | 'error', readonly penalty?: PenaltyReason }

/**
 * Which providers a lookup asks, best first: those the index names with a record this node would
 * keep (trusted producer, within its size limit), live, not this node and not penalised, ordered
 * by RTT + load + a little jitter; and what their fetch headers make of them. A penalised peer
 * (corrupt bytes, bad records, substituted records past those forgiven) is skipped for `penaltyMs`.
 */
export class ProviderChoice {
  private readonly penalised = new ExpiringKeys<PeerId>()
  private readonly substitutions: Substitutions

  constructor (private readonly deps: ProviderChoiceDeps, private readonly config: ProviderChoiceConfig) {
    this.substitutions = new Substitutions(config.penaltyMs)
  }

  /** The providers of `key` the index names whose records this node would fetch. */
  fromIndex (key: string, now: Millis): Candidate[] {
    return this.deps.index.lookup(key, now)
      .filter(p => this.wouldKeep(p.record))
      .map(p => ({ peer: p.peer, record: p.record }))
  }

  /** Whether this node would keep an entry of `record`: a trusted producer's, within its size limit. */
  wouldKeep (record: SignedRecord): boolean {
    return this.deps.trust.mayProduce(record.producer) && record.size <= this.config.maxEntryBytes
  }

  /**
   * Judges the fetch header `peer` answered for `key` (undefined: it did not parse), asked because it announced
   * `announced`. A substitution (an untrusted producer's record where a trusted one was announced) is forgiven for a
   * few keys per `penaltyMs` (see `Substitutions`): a provider that rebuilt the entry since (Gradle PUT it again there,
   * so it is now the producer) looks the same, and its stale claim is only dropped; past those, it is a forger.
   */
  judgeHeader (key: string, peer: PeerId, announced: SignedRecord | undefined, frame: CasFrame | undefined, now: Millis): HeaderVerdict {
    if (frame === undefined || frame.type !== 'fetch-response') return { usable: false, result: 'error', penalty: 'malformed-message' }
    if (frame.status !== 'found') return { usable: false, result: frame.status }
    const record = frame.record
    if (record === undefined) return { usable: false, result: 'error', penalty: 'bad-signature' }
    const fault = fetchedRecordFault(key, announced, record, this.deps.checkSignature, this.deps.trust)
    if (fault === 'untrusted-record' && this.substitutions.forgive(peer, key, now)) return { usable: false, result: 'missing' }
    if (fault !== undefined) return { usable: false, result: 'error', penalty: fault }
    // named by the DHT under another trust list, or an entry over this node's size limit: not misbehaviour, just not usable here
    if (!this.wouldKeep(record)) return { usable: false, result: 'missing' }
    return { usable: true, record }
  }

  /** Usable candidates, best score first; `queued` adds this node's fetches waiting for each peer to its load. */
  rank (candidates: readonly Candidate[], now: Millis, queued: (peer: PeerId) => number = () => 0): Candidate[] {
    const { peers, random, self } = this.deps
    const { unknownRttMs, loadWeightMs, jitterMs } = this.config
    const load = (peer: PeerId): number => peers.load(peer) + queued(peer)
    return candidates
      .filter(c => c.peer !== self && this.mayAsk(c.peer, now))
      .map(c => ({ c, score: (peers.rtt(c.peer) ?? unknownRttMs) + load(c.peer) * loadWeightMs + random.nextFloat() * jitterMs }))
      .sort((a, b) => a.score - b.score)
      .map(s => s.c)
  }

  /** Whether `peer` may be asked now: alive and not penalised. */
  mayAsk (peer: PeerId, now: Millis): boolean {
    return this.deps.peers.isAlive(peer) && !this.isPenalised(peer, now)
  }

  /** Skips `peer` as a provider for `forMs` (default `penaltyMs`), or longer if it is skipped longer already. */
  penalise (peer: PeerId, now: Millis, forMs: Millis = this.config.penaltyMs): void {
    this.penalised.extend(peer, now + forMs)
  }

  isPenalised (peer: PeerId, now: Millis): boolean {
    return this.penalised.has(peer, now)
  }
}
