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
  /** A provider that answered `busy` is asked again this much later, while the GET's deadline allows. */
  readonly busyRetryMs: Millis
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
  negativeTtlMs: 3000,
  negativeMaxKeys: 10_000,
  useDht: true,
  dhtMinPeers: DHT_MIN_PEERS,
  dhtTimeoutMs: 500,
  maxFetchesPerProvider: 6,
  busyRetryMs: 200,
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
