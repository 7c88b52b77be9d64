import type { Millis } from '../core/index.js'
import { DEFAULT_PROVIDER_CHOICE } from './provider-choice.js'
import type { ProviderChoiceConfig } from './provider-choice.js'
import type { SignedRecord } from './record.js'

/** The lookup's own tunables, plus those of its provider choice (penalties and the provider score). */
export interface LookupConfig extends ProviderChoiceConfig {
  /** How long one provider has to answer with a response header before the next is tried. */
  readonly attemptTimeoutMs: Millis
  /**
   * Once a provider's header is accepted, how long its body may take: the GET's deadline bounds
   * finding a provider, not moving a big entry (kept under Gradle's 30 s request timeout).
   */
  readonly bodyTimeoutMs: Millis
  /**
   * An accepted body must bring `bodyProgressBytes` more bytes within this long (from its header, then from the last
   * time it did), else it is abandoned for the next provider: a provider that sends its header and then stalls or
   * drips would hold the GET until `bodyTimeoutMs`. A working provider moves megabytes a second even on a loaded
   * machine (its pauses, a GC or a busy disk, last a fraction of this), and a stall caught this early leaves
   * most of the GET's time for the next provider.
   */
  readonly bodyStallMs: Millis
  /** The least a body must bring per `bodyStallMs`: a rate floor (64 KiB per 3 s is about 21 KiB/s). */
  readonly bodyProgressBytes: number
  /**
   * How long a provider whose body stalled is skipped: slowness is not misbehaviour (`penaltyMs`), an overloaded
   * honest peer serves again soon, but the next GETs of a build must not wait on it again.
   */
  readonly stallPenaltyMs: Millis
  readonly negativeTtlMs: Millis
  readonly negativeMaxKeys: number
  /**
   * Ask the DHT when the index knows no provider, in meshes of at least `dhtMinPeers` live nodes, unless the index
   * is complete (`LookupDeps.indexComplete`): a true miss in a healthy mesh then answers at once.
   */
  readonly useDht: boolean
  /** Smaller meshes rely on the announcement index alone: every member hears every announcement. */
  readonly dhtMinPeers: number
  readonly dhtTimeoutMs: Millis
  /** Fetches run at once from one provider; more wait for a slot (kept below a provider's own `busy` limit of 16). */
  readonly maxFetchesPerProvider: number
  /**
   * A provider that answered `busy` is asked again this much later (jittered down by up to half), doubling with each
   * wait of the GET up to `busyRetryMaxMs`: a provider asked by a whole mesh at once is not asked again in lockstep.
   */
  readonly busyRetryMs: Millis
  readonly busyRetryMaxMs: Millis
  /**
   * Waits for busy providers move the GET's deadline by up to this much per GET: a busy provider is alive, holds the
   * entry and is working, like one whose fetch slots are full (`maxSlotWaitMs`); a burst it serves one upload after
   * another is not a burst of misses.
   */
  readonly maxBusyWaitMs: Millis
  /**
   * Longest wait for a fetch slot. The wait does not count against the GET's deadline (it bounds finding a
   * provider, and this one was found): a burst of GETs served one slot after another is not a burst of misses.
   */
  readonly maxSlotWaitMs: Millis
  /**
   * A GET ends within this from its start, whatever it waited for (a slot, a body): Gradle's read timeout is 30 s,
   * past which it turns the remote cache off for the rest of the build.
   */
  readonly maxGetMs: Millis
}

/** Meshes from this many live nodes provide their entries in the DHT and ask it when the index knows no provider. */
export const DHT_MIN_PEERS = 64

export const DEFAULT_LOOKUP: LookupConfig = Object.freeze({
  attemptTimeoutMs: 750,
  bodyTimeoutMs: 25_000,
  bodyStallMs: 3000,
  bodyProgressBytes: 64 * 1024,
  stallPenaltyMs: 60_000,
  negativeTtlMs: 3000,
  negativeMaxKeys: 10_000,
  useDht: true,
  dhtMinPeers: DHT_MIN_PEERS,
  dhtTimeoutMs: 500,
  maxFetchesPerProvider: 6,
  busyRetryMs: 200,
  busyRetryMaxMs: 1600,
  maxBusyWaitMs: 10_000,
  maxSlotWaitMs: 10_000,
  maxGetMs: 28_000,
  ...DEFAULT_PROVIDER_CHOICE
})

/** How one fetch attempt ended, as the driver saw it. */
export type FetchResult = 'ok' | 'corrupt' | 'missing' | 'busy' | 'timeout' | 'error'

/** What the driver does with a response header: stream the bytes (verifying them) or drop the stream. */
export type HeaderDecision =
  | { readonly accept: true, readonly sha256: string, readonly size: number, readonly record: SignedRecord }
  | { readonly accept: false }
