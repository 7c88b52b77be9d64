import type { Millis, PeerId } from '../core/index.js'
import type { SignedRecord } from './record.js'

/**
 * What the cache protocol asks its driver to do beyond the core effects (send, publish, timers).
 * The core `Effect` union is closed, so these come out of `CacheProtocol.drainCommands()`;
 * drain both queues after every input.
 */
export type CacheCommand =
  /**
   * Open `/gmesh/cas/1.0.0` to `peer`, send `{fetch by key}`, hand the response header to
   * `onFetchHeader`, and if it is accepted stream the bytes into the store with
   * `expectedSha256`/`expectedSize` from the accepted header, reporting `onFetchProgress` as they arrive;
   * then report `onFetchResult`.
   * Abort at `deadline`. `record` is the provider's announced record (absent after a DHT lookup). `attempt` names this
   * fetch: pass it with each of those calls, so that a fetch called off that ends only after the next fetch of the
   * same key from the same peer began is not taken for that one.
   */
  | { readonly kind: 'fetch', readonly key: string, readonly peer: PeerId, readonly attempt: number, readonly record?: SignedRecord, readonly deadline: Millis }
  /** Abort the fetch `attempt`, which the protocol gave up on (deadline, or it moved to the next provider). */
  | { readonly kind: 'cancelFetch', readonly key: string, readonly peer: PeerId, readonly attempt: number }
  /** Ask the DHT for providers of `key` (large meshes); report `onProvidersFound` before `deadline` or not at all. */
  | { readonly kind: 'findProviders', readonly key: string, readonly deadline: Millis }
  /** Provide `key` in the DHT (large meshes only). */
  | { readonly kind: 'provide', readonly key: string }
  /** The lookup for `key` is over: answer every GET waiting on it (hit: serve from the local store now). */
  | { readonly kind: 'answer', readonly key: string, readonly outcome: LookupOutcome }
  /** `peer` misbehaved (served corrupt bytes, signed garbage) or stalled a body: count it, log it. */
  | { readonly kind: 'penalise', readonly peer: PeerId, readonly reason: PenaltyReason }
  /** Offer the local entry `record` to each of `to` on `/gmesh/cas/1.0.0` (a `push` frame; each replica pulls the bytes, then acks). */
  | { readonly kind: 'push', readonly record: SignedRecord, readonly to: readonly PeerId[] }

/**
 * Why a peer was penalised: `corrupt-blob` (bytes that fail their hash, or more of them than announced),
 * `bad-signature` (a record missing or not signed by its producer), `wrong-record` (a fetch answered with the record of
 * another key), `untrusted-record` (a provider that announced a trusted record answered with one by a producer this
 * node does not trust), `malformed-message`; and `stalled-body` (a body that stopped or slowed to a trickle after its
 * header: skipped for a while, `LookupConfig.stallPenaltyMs`, not taken for misbehaviour).
 */
export type PenaltyReason = 'corrupt-blob' | 'bad-signature' | 'wrong-record' | 'untrusted-record' | 'malformed-message' | 'stalled-body'

export type MissReason = 'negative-cache' | 'no-provider' | 'all-providers-failed' | 'deadline'

export type LookupOutcome =
  | { readonly hit: true, readonly peer: PeerId, readonly record?: SignedRecord }
  | { readonly hit: false, readonly reason: MissReason }

/** A FIFO of cache commands, drained by the driver. */
export class CommandQueue {
  private items: CacheCommand[] = []

  push (command: CacheCommand): void {
    this.items.push(command)
  }

  get length (): number {
    return this.items.length
  }

  drain (): CacheCommand[] {
    const out = this.items
    this.items = []
    return out
  }
}
