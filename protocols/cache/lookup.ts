import type { EffectQueue, Millis, PeerId } from '../core/index.js'
import type { CommandQueue, LookupOutcome, MissReason, PenaltyReason } from './commands.js'
import type { CasFrame } from './messages.js'
import { NegativeCache } from './negative-cache.js'
import { DEFAULT_PROVIDER_CHOICE, ProviderChoice } from './provider-choice.js'
import type { Candidate, ProviderChoiceConfig, ProviderChoiceDeps } from './provider-choice.js'
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
  ...DEFAULT_PROVIDER_CHOICE
})

/** How one fetch attempt ended, as the driver saw it. */
export type FetchResult = 'ok' | 'corrupt' | 'missing' | 'busy' | 'timeout' | 'error'

/** What the driver does with a response header: stream the bytes (verifying them) or drop the stream. */
export type HeaderDecision =
  | { readonly accept: true, readonly sha256: string, readonly size: number, readonly record: SignedRecord }
  | { readonly accept: false }

interface Lookup {
  readonly key: string
  /** When the GET must be answered; `deadline` runs past it only while an accepted body streams. */
  readonly answerBy: Millis
  deadline: Millis
  queue: Candidate[]
  current?: Candidate & { accepted?: SignedRecord }
  readonly tried: Set<PeerId>
  dhtAsked: boolean
  /** The DHT was asked and may still name providers: an empty queue waits for them (or the DHT deadline). */
  dhtPending: boolean
  failures: number
}

export interface LookupDeps extends ProviderChoiceDeps {
  /**
   * True while the index can be trusted to name every provider it heard of: synced at start and nothing evicted.
   * Then a key it lacks has no provider, and a miss does not wait on the DHT (absent: never trusted).
   */
  readonly indexComplete?: () => boolean
  readonly effects: EffectQueue
  readonly commands: CommandQueue
}

export const LOOKUP_TIMER = 'cache/lookup/'
export const ATTEMPT_TIMER = 'cache/attempt/'
export const DHT_TIMER = 'cache/dht/'

/**
 * Every GET that missed locally, as one state machine per key: providers from the index in order
 * of score (RTT + load), one fetch at a time, the next provider after a corrupt, missing, busy or
 * slow one, the DHT when the index knows nobody, and a miss at the deadline. Concurrent GETs of
 * one key share one lookup. Misses are remembered for `negativeTtlMs`.
 */
export class CacheLookup {
  private readonly lookups = new Map<string, Lookup>()
  private readonly providers: ProviderChoice
  readonly negative: NegativeCache
  /** Counters for metrics: answers by outcome, and fetch attempts that ended badly. */
  readonly counters = { hits: 0, misses: 0, negativeHits: 0, deadlineMisses: 0, corrupt: 0, attempts: 0 }

  constructor (private readonly deps: LookupDeps, readonly config: LookupConfig = DEFAULT_LOOKUP) {
    this.negative = new NegativeCache(config.negativeTtlMs, config.negativeMaxKeys)
    this.providers = new ProviderChoice(deps, config)
  }

  get inFlight (): number {
    return this.lookups.size
  }

  /** A GET for `key` missed locally; the answer comes as an `answer` command (maybe at once). */
  start (key: string, now: Millis, deadline: Millis): void {
    if (this.lookups.has(key)) return
    if (this.negative.has(key, now)) return this.answer(key, { hit: false, reason: 'negative-cache' }, now, false)
    if (deadline <= now) return this.answer(key, { hit: false, reason: 'deadline' }, now)
    const queue = this.providers.rank(this.providers.fromIndex(key, now), now)
    if (queue.length === 0 && !this.asksDht()) return this.answer(key, { hit: false, reason: 'no-provider' }, now)
    const lookup: Lookup = { key, answerBy: deadline, deadline, queue, tried: new Set(), dhtAsked: false, dhtPending: false, failures: 0 }
    this.lookups.set(key, lookup)
    this.deps.effects.setTimer(LOOKUP_TIMER + key, deadline)
    this.next(lookup, now)
  }

  /** A provider answered a fetch header (undefined: it did not parse): may the driver stream the bytes? */
  onFetchHeader (key: string, peer: PeerId, frame: CasFrame | undefined, now: Millis): HeaderDecision {
    const lookup = this.attemptOf(key, peer)
    if (lookup?.current === undefined) return { accept: false }
    const verdict = this.providers.judgeHeader(key, lookup.current.record, frame)
    if (!verdict.usable) return this.refuse(lookup, verdict.result, now, verdict.penalty)
    const record = verdict.record
    lookup.current.accepted = record
    this.deps.effects.cancelTimer(ATTEMPT_TIMER + key)
    lookup.deadline = Math.max(lookup.deadline, now + this.config.bodyTimeoutMs)
    this.deps.effects.setTimer(LOOKUP_TIMER + key, lookup.deadline)
    return { accept: true, sha256: record.sha256, size: record.size, record }
  }

  /** How a fetch ended. Returns the lookup's outcome if this result ended it. */
  onFetchResult (key: string, peer: PeerId, result: FetchResult, now: Millis): LookupOutcome | undefined {
    const lookup = this.attemptOf(key, peer)
    if (lookup?.current === undefined) return undefined
    if (result === 'ok') {
      const record = lookup.current.accepted ?? lookup.current.record
      if (record !== undefined) this.deps.index.add(peer, record, now)
      const outcome: LookupOutcome = record === undefined ? { hit: true, peer } : { hit: true, peer, record }
      this.answer(key, outcome, now)
      return outcome
    }
    if (result === 'corrupt') {
      this.counters.corrupt++
      this.penalise(peer, now, 'corrupt-blob')
    }
    if (result === 'corrupt' || result === 'missing') this.deps.index.remove(key, peer)
    const hadBody = lookup.current.accepted !== undefined
    lookup.current = undefined
    lookup.failures++
    if (hadBody && lookup.deadline > lookup.answerBy) {
      // The body's extra time was for that body only: the GET's own deadline holds again.
      lookup.deadline = lookup.answerBy
      if (now >= lookup.deadline) {
        const outcome: LookupOutcome = { hit: false, reason: 'deadline' }
        this.answer(key, outcome, now)
        return outcome
      }
      this.deps.effects.setTimer(LOOKUP_TIMER + key, lookup.deadline)
    }
    return this.next(lookup, now)
  }

  /**
   * The DHT named providers of `key` (peer ids only; their records come with the fetch header). It may
   * name them over several calls; `done` says its walk has ended, else the lookup waits for more until
   * the DHT deadline before it answers a miss.
   */
  onProvidersFound (key: string, providers: readonly PeerId[], now: Millis, done = false): void {
    const lookup = this.lookups.get(key)
    if (lookup === undefined || !lookup.dhtPending) return
    if (done) {
      lookup.dhtPending = false
      this.deps.effects.cancelTimer(DHT_TIMER + key)
    }
    const fresh = providers.filter(peer => !lookup.tried.has(peer)).map(peer => ({ peer }))
    lookup.queue = this.providers.rank([...lookup.queue, ...fresh], now)
    if (lookup.current === undefined) this.next(lookup, now)
  }

  /** Membership declared `peer` dead: lookups fetching from it move on now instead of at their attempt timeout. */
  onPeerDown (peer: PeerId, now: Millis): void {
    for (const lookup of [...this.lookups.values()]) {
      if (lookup.current?.peer !== peer) continue
      this.deps.commands.push({ kind: 'cancelFetch', key: lookup.key, peer })
      this.onFetchResult(lookup.key, peer, 'error', now)
    }
  }

  /** Routes this lookup's timers; returns false if `timer` is not one of them. */
  onTimer (timer: string, now: Millis): boolean {
    if (timer.startsWith(LOOKUP_TIMER)) {
      const key = timer.slice(LOOKUP_TIMER.length)
      if (this.lookups.has(key)) this.answer(key, { hit: false, reason: 'deadline' }, now)
    } else if (timer.startsWith(ATTEMPT_TIMER)) {
      const lookup = this.lookups.get(timer.slice(ATTEMPT_TIMER.length))
      if (lookup?.current === undefined) return true
      this.deps.commands.push({ kind: 'cancelFetch', key: lookup.key, peer: lookup.current.peer })
      this.onFetchResult(lookup.key, lookup.current.peer, 'timeout', now)
    } else if (timer.startsWith(DHT_TIMER)) {
      const lookup = this.lookups.get(timer.slice(DHT_TIMER.length))
      if (lookup !== undefined) lookup.dhtPending = false
      if (lookup !== undefined && lookup.current === undefined) this.next(lookup, now)
    } else {
      return false
    }
    return true
  }

  /** Skips `peer` as a provider for `penaltyMs` and tells the driver. */
  penalise (peer: PeerId, now: Millis, reason: PenaltyReason): void {
    this.providers.penalise(peer, now)
    this.deps.commands.push({ kind: 'penalise', peer, reason })
  }

  isPenalised (peer: PeerId, now: Millis): boolean {
    return this.providers.isPenalised(peer, now)
  }

  /** Starts the next attempt, or the DHT step, or answers the miss. */
  private next (lookup: Lookup, now: Millis): LookupOutcome | undefined {
    let candidate = lookup.queue.shift()
    while (candidate !== undefined && (lookup.tried.has(candidate.peer) || !this.providers.mayAsk(candidate.peer, now))) candidate = lookup.queue.shift()
    if (candidate !== undefined) {
      lookup.tried.add(candidate.peer)
      this.counters.attempts++
      lookup.current = candidate
      const deadline = Math.min(lookup.deadline, now + this.config.attemptTimeoutMs)
      this.deps.effects.setTimer(ATTEMPT_TIMER + lookup.key, deadline)
      this.deps.commands.push({ kind: 'fetch', key: lookup.key, peer: candidate.peer, ...(candidate.record === undefined ? {} : { record: candidate.record }), deadline: lookup.deadline })
      return undefined
    }
    if (lookup.dhtPending) return undefined
    if (!lookup.dhtAsked && this.asksDht()) {
      lookup.dhtAsked = true
      lookup.dhtPending = true
      const deadline = Math.min(lookup.deadline, now + this.config.dhtTimeoutMs)
      this.deps.effects.setTimer(DHT_TIMER + lookup.key, deadline)
      this.deps.commands.push({ kind: 'findProviders', key: lookup.key, deadline })
      return undefined
    }
    const reason: MissReason = lookup.failures > 0 ? 'all-providers-failed' : 'no-provider'
    const outcome: LookupOutcome = { hit: false, reason }
    this.answer(lookup.key, outcome, now)
    return outcome
  }

  private asksDht (): boolean {
    if (!this.config.useDht || this.deps.indexComplete?.() === true) return false
    return this.deps.peers.alivePeers().length + 1 >= this.config.dhtMinPeers
  }

  private refuse (lookup: Lookup, result: FetchResult, now: Millis, penalty?: PenaltyReason): HeaderDecision {
    const peer = lookup.current?.peer
    if (peer === undefined) return { accept: false }
    if (penalty !== undefined) {
      this.penalise(peer, now, penalty)
      this.deps.index.remove(lookup.key, peer)
    }
    this.onFetchResult(lookup.key, peer, result, now)
    return { accept: false }
  }

  private count (outcome: LookupOutcome): void {
    if (outcome.hit) {
      this.counters.hits++
      return
    }
    this.counters.misses++
    if (outcome.reason === 'negative-cache') this.counters.negativeHits++
    if (outcome.reason === 'deadline') this.counters.deadlineMisses++
  }

  private attemptOf (key: string, peer: PeerId): Lookup | undefined {
    const lookup = this.lookups.get(key)
    return lookup?.current?.peer === peer ? lookup : undefined
  }

  private answer (key: string, outcome: LookupOutcome, now: Millis, fresh = true): void {
    const lookup = this.lookups.get(key)
    if (lookup !== undefined) {
      this.lookups.delete(key)
      this.deps.effects.cancelTimer(LOOKUP_TIMER + key)
      this.deps.effects.cancelTimer(ATTEMPT_TIMER + key)
      this.deps.effects.cancelTimer(DHT_TIMER + key)
      if (lookup.current !== undefined && !outcome.hit) this.deps.commands.push({ kind: 'cancelFetch', key, peer: lookup.current.peer })
    }
    this.count(outcome)
    if (!outcome.hit && fresh) this.negative.remember(key, now)
    this.deps.commands.push({ kind: 'answer', key, outcome })
  }
}
