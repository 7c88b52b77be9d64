import type { EffectQueue, Millis, PeerId } from '../core/index.js'
import type { CommandQueue, LookupOutcome, MissReason, PenaltyReason } from './commands.js'
import { BusyWaits, RETRY_TIMER } from './busy-waits.js'
import { ATTEMPT_TIMER, Attempts, BODY_STALL_TIMER, LOOKUP_TIMER, isIdle } from './lookup-attempts.js'
import type { Lookup } from './lookup-attempts.js'
import { DEFAULT_LOOKUP } from './lookup-config.js'
import type { FetchResult, HeaderDecision, LookupConfig } from './lookup-config.js'
import type { CasFrame } from './messages.js'
import { NegativeCache, worthRemembering } from './negative-cache.js'
import { ProviderChoice } from './provider-choice.js'
import type { Candidate, ProviderChoiceDeps } from './provider-choice.js'
import type { SignedRecord } from './record.js'

export { DEFAULT_LOOKUP, DHT_MIN_PEERS } from './lookup-config.js'
export type { FetchResult, HeaderDecision, LookupConfig } from './lookup-config.js'
export { ATTEMPT_TIMER, BODY_STALL_TIMER, LOOKUP_TIMER } from './lookup-attempts.js'

export interface LookupDeps extends ProviderChoiceDeps {
  /**
   * True while the index can be trusted to name every provider it heard of: synced at start and nothing evicted.
   * Then a key it lacks has no provider, and a miss does not wait on the DHT (absent: never trusted).
   */
  readonly indexComplete?: () => boolean
  readonly effects: EffectQueue
  readonly commands: CommandQueue
}

export const DHT_TIMER = 'cache/dht/'

/**
 * Every GET that missed locally, as one state machine per key: providers from the index in order of score (RTT +
 * load), one fetch at a time, the next provider after a corrupt, missing, busy or slow one (a late header, a stalled
 * body), busy ones again after a wait (`BusyWaits`), the DHT when the index knows nobody, and a miss at the deadline.
 * Concurrent GETs of one key share one lookup; lookups share each provider's fetch slots (`Attempts`). A miss is
 * remembered for `negativeTtlMs` only when no live provider is left for the key (busy or failing ones are not a miss).
 */
export class CacheLookup {
  private readonly lookups = new Map<string, Lookup>()
  private readonly providers: ProviderChoice
  private readonly attempts: Attempts
  private readonly busyWaits: BusyWaits
  readonly negative: NegativeCache
  /** Counters for metrics: answers by outcome, and fetch attempts that ended badly. */
  readonly counters = { hits: 0, misses: 0, negativeHits: 0, deadlineMisses: 0, corrupt: 0, stalledBodies: 0, attempts: 0 }

  constructor (private readonly deps: LookupDeps, readonly config: LookupConfig = DEFAULT_LOOKUP) {
    this.negative = new NegativeCache(config.negativeTtlMs, config.negativeMaxKeys)
    this.providers = new ProviderChoice(deps, config)
    this.attempts = new Attempts({
      effects: deps.effects,
      commands: deps.commands,
      mayAsk: (peer, now) => this.providers.mayAsk(peer, now),
      moveOn: (lookup, now) => { this.next(lookup, now) },
      counters: this.counters
    }, config)
    this.busyWaits = new BusyWaits(deps.effects, deps.random, config)
  }

  get inFlight (): number {
    return this.lookups.size
  }

  /** A GET for `key` missed locally; the answer comes as an `answer` command (maybe at once). */
  start (key: string, now: Millis, deadline: Millis): void {
    if (this.lookups.has(key)) return
    if (this.negative.has(key, now)) return this.answer(key, { hit: false, reason: 'negative-cache' }, now, false)
    if (deadline <= now) return this.answer(key, { hit: false, reason: 'deadline' }, now)
    const queue = this.rank(this.providers.fromIndex(key, now), now)
    if (queue.length === 0 && !this.asksDht()) return this.answer(key, { hit: false, reason: 'no-provider' }, now)
    const lookup: Lookup = { key, answerBy: deadline, deadline, endsBy: now + this.config.maxGetMs, queue, tried: new Set(), lacking: new Set(), dhtAsked: false, dhtPending: false, failures: 0, busy: [], busyRounds: 0, busyWaited: 0 }
    this.lookups.set(key, lookup)
    this.deps.effects.setTimer(LOOKUP_TIMER + key, deadline)
    this.next(lookup, now)
  }

  /** A provider answered a fetch header (undefined: it did not parse): may the driver stream the bytes? (`attempt`: see CacheProtocol) */
  onFetchHeader (key: string, peer: PeerId, frame: CasFrame | undefined, now: Millis, attempt?: number): HeaderDecision {
    const lookup = this.attemptOf(key, peer, attempt)
    if (lookup?.current === undefined) return { accept: false }
    const verdict = this.providers.judgeHeader(key, peer, lookup.current.record, frame, now)
    if (!verdict.usable) return this.refuse(lookup, verdict.result, now, verdict.penalty)
    const record = verdict.record
    this.attempts.bodyAccepted(lookup, lookup.current, record, now)
    return { accept: true, sha256: record.sha256, size: record.size, record }
  }

  /** An accepted body has brought `bytes` so far (reported now and then, and once all are in). */
  onBodyProgress (key: string, peer: PeerId, bytes: number, now: Millis, attempt?: number): void {
    const lookup = this.attemptOf(key, peer, attempt)
    const current = lookup?.current
    if (lookup !== undefined && current !== undefined && !this.attempts.bodyProgress(lookup, current, bytes, now)) this.abandonBody(lookup, current, now, false)
  }

  /** How a fetch ended. Returns the lookup's outcome if this result ended it. */
  onFetchResult (key: string, peer: PeerId, result: FetchResult, now: Millis, attempt?: number): LookupOutcome | undefined {
    const lookup = this.attemptOf(key, peer, attempt)
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
    if (result === 'missing') lookup.lacking.add(peer)
    if (result === 'busy') lookup.busy.push(lookup.current)
    const hadBody = lookup.current.accepted !== undefined
    this.attempts.end(lookup, now)
    lookup.failures++
    if (hadBody && !this.attempts.bodyFailed(lookup, now)) {
      const outcome: LookupOutcome = { hit: false, reason: 'deadline' }
      this.answer(key, outcome, now)
      return outcome
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
    lookup.queue = this.rank([...lookup.queue, ...fresh], now)
    if (isIdle(lookup)) this.next(lookup, now)
  }

  /** An announcement or an index page named `peer` a provider of `key`: a lookup in flight asks it too. */
  onProviderAdded (key: string, peer: PeerId, record: SignedRecord, now: Millis): void {
    const lookup = this.lookups.get(key)
    if (lookup === undefined || lookup.tried.has(peer) || lookup.queue.some(c => c.peer === peer) || !this.providers.wouldKeep(record)) return
    lookup.queue = this.rank([...lookup.queue, { peer, record }], now)
    if (isIdle(lookup)) this.next(lookup, now)
  }

  /** Membership declared `peer` dead: lookups fetching from it move on now instead of at their attempt timeout. */
  onPeerDown (peer: PeerId, now: Millis): void {
    this.attempts.dropWaiters(peer, now)
    for (const lookup of [...this.lookups.values()]) {
      if (lookup.current?.peer !== peer) continue
      this.deps.commands.push({ kind: 'cancelFetch', key: lookup.key, peer, attempt: lookup.current.id })
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
      this.deps.commands.push({ kind: 'cancelFetch', key: lookup.key, peer: lookup.current.peer, attempt: lookup.current.id })
      this.onFetchResult(lookup.key, lookup.current.peer, 'timeout', now)
    } else if (timer.startsWith(BODY_STALL_TIMER)) {
      const lookup = this.lookups.get(timer.slice(BODY_STALL_TIMER.length))
      if (lookup?.current?.accepted !== undefined) this.abandonBody(lookup, lookup.current, now, true)
    } else if (timer.startsWith(DHT_TIMER)) {
      const lookup = this.lookups.get(timer.slice(DHT_TIMER.length))
      if (lookup !== undefined) lookup.dhtPending = false
      if (lookup !== undefined && isIdle(lookup)) this.next(lookup, now)
    } else if (timer.startsWith(RETRY_TIMER)) {
      const lookup = this.lookups.get(timer.slice(RETRY_TIMER.length))
      if (lookup !== undefined) this.retryBusy(lookup, now)
    } else {
      return false
    }
    return true
  }

  /** Skips `peer` as a provider for `forMs` (default `penaltyMs`) and tells the driver. */
  penalise (peer: PeerId, now: Millis, reason: PenaltyReason, forMs?: Millis): void {
    this.providers.penalise(peer, now, forMs)
    this.deps.commands.push({ kind: 'penalise', peer, reason })
  }

  isPenalised (peer: PeerId, now: Millis): boolean {
    return this.providers.isPenalised(peer, now)
  }

  /**
   * Starts the next attempt (the best provider with a free slot, else waits for a slot of the best one), or the
   * DHT step, or a retry of busy providers, or answers the miss.
   */
  private next (lookup: Lookup, now: Millis): LookupOutcome | undefined {
    lookup.queue = lookup.queue.filter(c => !lookup.tried.has(c.peer) && this.providers.mayAsk(c.peer, now))
    const candidate = this.attempts.pick(lookup)
    if (candidate !== undefined) {
      this.busyWaits.stop(lookup, now)
      lookup.tried.add(candidate.peer)
      this.attempts.begin(lookup, candidate, now)
      return undefined
    }
    if (lookup.dhtPending) return undefined
    if (lookup.retryAt !== undefined) {
      this.busyWaits.resume(lookup, now)
      return undefined
    }
    if (this.busyWaits.schedule(lookup, now)) return undefined
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

  /**
   * The accepted body is given up and the next provider asked: it `stalled` (stopped, or slowed below
   * `bodyProgressBytes` per `bodyStallMs`), and its provider is skipped for `stallPenaltyMs`; or it cannot finish in
   * time (Attempts.bodyProgress), which may be this node's own slow link: no penalty, its provider still serves other
   * keys. The driver answers GETs only with verified bytes: none of this body's went out.
   */
  private abandonBody (lookup: Lookup, current: Candidate, now: Millis, stalled: boolean): void {
    this.counters.stalledBodies++
    this.attempts.bodyStalled(lookup, now)
    if (stalled) this.penalise(current.peer, now, 'stalled-body', this.config.stallPenaltyMs)
    this.onFetchResult(lookup.key, current.peer, 'timeout', now)
  }

  /** Providers that answered `busy` get another turn. */
  private retryBusy (lookup: Lookup, now: Millis): void {
    this.busyWaits.fired(lookup, now)
    for (const candidate of lookup.busy) lookup.tried.delete(candidate.peer)
    lookup.queue = this.rank([...lookup.queue, ...lookup.busy], now)
    lookup.busy = []
    if (isIdle(lookup)) this.next(lookup, now)
  }

  private rank (candidates: readonly Candidate[], now: Millis): Candidate[] {
    return this.providers.rank(candidates, now, peer => this.attempts.queued(peer))
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

  private attemptOf (key: string, peer: PeerId, attempt: number | undefined): Lookup | undefined {
    const lookup = this.lookups.get(key)
    const current = lookup?.current
    return current?.peer === peer && (attempt === undefined || current.id === attempt) ? lookup : undefined
  }

  private answer (key: string, outcome: LookupOutcome, now: Millis, fresh = true): void {
    const lookup = this.lookups.get(key)
    if (lookup !== undefined) {
      this.lookups.delete(key)
      this.deps.effects.cancelTimer(LOOKUP_TIMER + key)
      this.deps.effects.cancelTimer(DHT_TIMER + key)
      this.deps.effects.cancelTimer(RETRY_TIMER + key)
      this.attempts.close(lookup, outcome.hit, now)
    }
    this.count(outcome)
    // only "nobody has it" is worth remembering: a busy, slow or failing provider may serve the next GET
    if (!outcome.hit && fresh && worthRemembering(this.deps.self, this.providers, this.providers.fromIndex(key, now), lookup, now)) this.negative.remember(key, now)
    this.deps.commands.push({ kind: 'answer', key, outcome })
  }
}
