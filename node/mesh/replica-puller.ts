import { peerIdFromString } from '@libp2p/peer-id'
import {
  checkReplicaPullHeader, DEFAULT_EARLY_RESETS, DEFAULT_PULL_COOLDOWN, DEFAULT_PULL_TIMING, EarlyResets, ExpiringKeys, PullCooldowns, pullDeadlineMs,
  PullPace, recordProof, REPLICA_TIMING, type EarlyResetConfig, type PaceVerdict, type PullCooldownConfig, type PullTiming, type PushStatus,
  type SignedRecord
} from '../../protocols/cache/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { MeshLibp2p, RpcBodyResponse } from '../libp2p/index.js'
import { SizeMismatchError } from '../../src/cas/errors.js'
import { fetchBlob, type FetchBlobOptions } from './blob-transfer.js'
import { provesCorrupt } from './verified-body.js'
import { endedEarly, pullFault, PullDeadlineError, PullTooSlowError, type PullEnd } from './pull-faults.js'
import { raceSignal } from 'race-signal'

export { PullDeadlineError, PullTooSlowError } from './pull-faults.js'

/** The puller's clock: monotonic milliseconds, and a repeating tick (returns its stop); tests step it by hand. */
export interface PullClock {
  now: () => number
  every: (ms: number, tick: () => void) => () => void
}

const SYSTEM_CLOCK: PullClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms)
    timer.unref()
    return () => { clearInterval(timer) }
  }
}

/** Opens the fetch of `key` from the pusher `from` (default: `fetchBlob` on the init's libp2p). */
export type OpenPull = (from: string, key: string, options: FetchBlobOptions) => Promise<RpcBodyResponse>

export interface ReplicaPullerInit {
  libp2p: MeshLibp2p
  store: Pick<ContentStore, 'put'>
  maxEntryBytes: number
  /** The pull's header, window, rate and slack (`PullPace`; each defaults to DEFAULT_PULL_TIMING's). */
  timing?: Partial<PullTiming>
  /** After its header, the body must not bring nothing for this long (default REPLICA_TIMING.pullStallMs). */
  stallMs?: number
  /** Pulls from one pusher under way at once (default REPLICA_TIMING.maxPullsPerPusher, 8); another offer of that pusher is answered `busy`. */
  maxPerPusher?: number
  /** Pulls under way at once (default 32). */
  maxRunning?: number
  /**
   * Of `maxRunning`, the pulls only a pusher with a record may start (default 8, a pusher's worth): one that a pull
   * stored an entry from in the last `recordMs` (default 1 h) and that has no fault on record since its cool-down.
   */
  reservedForRecorded?: number
  recordMs?: number
  /** How long a pusher whose pull ended without its entry starts no new one (`PullCooldowns`; default DEFAULT_PULL_COOLDOWN's). */
  cooldown?: Partial<PullCooldownConfig>
  /** When pulls that ended early (`endedEarly`) make their pusher's fault (`EarlyResets`; default DEFAULT_EARLY_RESETS's). */
  earlyResets?: Partial<EarlyResetConfig>
  /** Default: the system's; tests step their own. */
  clock?: PullClock
  /** Default: `fetchBlob` on `libp2p`; tests serve their own bodies. */
  open?: OpenPull
  /** The bytes are verified and stored. */
  onStored: (record: SignedRecord) => void
  /** The bytes `from` served are certainly not the offered entry. */
  onCorrupt: (from: string) => void
}

/**
 * A replica's pulls of the entries it accepted offers of: fetched by key from the pusher, checked against the offer,
 * and stored. A pull is not tied to the offer's stream: a pusher that gave up waiting (an older node waits 30 s
 * whatever the size) and offers again joins the pull still running, which a body that keeps its pace never outlives.
 * Bounded: a pusher that drops its offers' streams still has at most `maxPerPusher` pulls running here, and each must
 * bring its share of the pusher's minimum rate in every window (`PullPace`) and end by its absolute deadline, so a
 * pusher holds its slots only while it sends at that rate: one trickling a byte just inside each stall limit loses them.
 * A pull that ends by its pusher's fault (`pullFault`: cut by its pace, stalled, its header late or wrong, bytes of
 * another entry, a reset before the pace judges it once its pusher repeats it (`EarlyResets`); not a `busy`, `missing`
 * or `changed` answer, this node stopping or its store failing) puts its pusher on a cool-down (`PullCooldowns`): its offers are
 * answered `busy` meanwhile, so a cut pusher cannot take its slots straight back with a fresh free window. Another pusher's offer that joined such a pull starts its own pull of the key instead of failing.
 */
export class ReplicaPuller {
  /** Each key's pull under way, and the pusher it pulls from. */
  private readonly running = new Map<string, { from: string, done: Promise<PushStatus> }>()
  /** The paces of each pusher's pulls under way (so also how many it has running here), each told that number. */
  private readonly paces = new Map<string, Set<PullPace>>()
  private readonly timing: PullTiming
  private readonly maxPerPusher: number
  private readonly clock: PullClock
  private readonly open: OpenPull
  private readonly cooldowns: PullCooldowns
  /**
   * The pushers a pull stored an entry from in the last `recordMs`: a record a fresh identity does not have (it must
   * first deliver a whole entry at its pace), unlike "no fault yet". Bounded as the cool-downs; past that the oldest goes.
   */
  private readonly records = new ExpiringKeys<string>(DEFAULT_PULL_COOLDOWN.maxPushers, { trimToMax: true })
  private readonly earlyResets: EarlyResets

  constructor (private readonly init: ReplicaPullerInit, private readonly signal: AbortSignal) {
    this.timing = { ...DEFAULT_PULL_TIMING, ...init.timing }
    this.maxPerPusher = init.maxPerPusher ?? REPLICA_TIMING.maxPullsPerPusher
    this.clock = init.clock ?? SYSTEM_CLOCK
    this.open = init.open ?? (async (from, key, options) => await fetchBlob(init.libp2p, peerIdFromString(from), key, options))
    this.cooldowns = new PullCooldowns({ ...DEFAULT_PULL_COOLDOWN, ...init.cooldown })
    this.earlyResets = new EarlyResets({ ...DEFAULT_EARLY_RESETS, ...init.earlyResets })
  }

  /** When `pusher`'s cool-down ends, if it cools now (its offers start no pull). */
  coolingUntil (pusher: string): number | undefined {
    return this.cooldowns.coolingUntil(pusher, this.clock.now())
  }

  /**
   * Pulls `record`'s entry from `from`, or joins the pull of that key under way; resolves to the offer's answer. A joined
   * pull of another pusher that ends without the entry is not this offer's failure: while the offer is open, it starts
   * its own pull.
   */
  async pull (from: string, record: SignedRecord, offer: AbortSignal): Promise<PushStatus> {
    for (;;) {
      const joined = this.running.get(record.gradleKey)
      if (joined === undefined) {
        const started = this.start(from, record)
        return started === undefined ? 'busy' : await raceSignal(started, offer)
      }
      const outcome = await raceSignal(joined.done, offer).then(status => ({ status }), (err: unknown) => ({ err }))
      const stored = 'status' in outcome && outcome.status === 'stored'
      if (joined.from !== from && !stored && !offer.aborted && !this.signal.aborted) continue
      if ('err' in outcome) throw outcome.err
      return outcome.status
    }
  }

  /**
   * Starts `from`'s pull of `record`, unless `from` cools down or has no slot here (`undefined`: answered `busy`). The
   * last `reservedForRecorded` slots go only to a pusher with a record (a stored pull lately, no fault since): "no fault
   * yet" is what every fresh identity has, so identities rotated (or cut before) cannot fill them all between them.
   */
  private start (from: string, record: SignedRecord): Promise<PushStatus> | undefined {
    const pusherPulls = this.paces.get(from)?.size ?? 0
    const now = this.clock.now()
    const recorded = this.records.has(from, now) && !this.cooldowns.struck(from, now)
    const slots = (this.init.maxRunning ?? 32) - (recorded ? 0 : this.init.reservedForRecorded ?? 8)
    if (pusherPulls >= this.maxPerPusher || this.running.size >= slots) return undefined
    if (this.cooldowns.coolingUntil(from, now) !== undefined) return undefined
    const done = this.fetch(from, record, end => { this.judge(from, end) })
      .finally(() => { this.running.delete(record.gradleKey) })
    done.catch(() => {}) // its offer may be gone: whoever waits for it sees its error
    this.running.set(record.gradleKey, { from, done })
    return done
  }

  /** `from`'s pull ended without its entry: it cools down if that is its fault, or its early ends' (`EarlyResets`). */
  private judge (from: string, end: PullEnd): void {
    const now = this.clock.now()
    if (pullFault(end) || (endedEarly(end) && this.earlyResets.ended(from, now))) this.cooldowns.fault(from, now)
  }

  /** `from`'s pulls running here changed: each of its paces owes its new share from now. */
  private shareChanged (from: string): void {
    const paces = this.paces.get(from) ?? new Set()
    const now = this.clock.now()
    for (const pace of paces) pace.shared(paces.size, now)
  }

  /** `pull`'s own work, called off once its pace says so (judged every slice); tells `onEnd` how it ended unless stored. */
  private async fetch (from: string, record: SignedRecord, onEnd: (end: PullEnd) => void): Promise<PushStatus> {
    const paces = this.paces.get(from) ?? new Set()
    const pace = new PullPace(this.timing, this.clock.now() + pullDeadlineMs(record.size, this.timing, this.maxPerPusher), paces.size + 1)
    this.paces.set(from, paces.add(pace))
    this.shareChanged(from)
    const cut = new AbortController()
    const stop = this.clock.every(this.timing.sliceMs, () => {
      const verdict = pace.check(this.clock.now())
      if (!verdict.ok) cut.abort(paceError(verdict, record.size))
    })
    const body = { opening: true, threw: false }
    try {
      return await this.fetchWithin(from, record, pace, AbortSignal.any([this.signal, cut.signal]), body, onEnd)
    } catch (err) {
      const reason: unknown = cut.signal.aborted ? cut.signal.reason : err
      // a body that ended short is the stream's end (the store saw fewer bytes), not the store's failure
      const short = err instanceof SizeMismatchError && err.actual < err.expected
      onEnd({ kind: 'error', err: reason, opening: body.opening, body: body.threw || short, judged: pace.judging(this.clock.now()), stopping: this.signal.aborted })
      throw reason
    } finally {
      stop()
      paces.delete(pace)
      if (paces.size === 0) this.paces.delete(from)
      this.shareChanged(from)
    }
  }

  private async fetchWithin (from: string, record: SignedRecord, pace: PullPace, signal: AbortSignal, body: { opening: boolean, threw: boolean },
    onEnd: (end: PullEnd) => void): Promise<PushStatus> {
    const { store, maxEntryBytes } = this.init
    const response = await this.open(from, record.gradleKey, {
      signal, deadlineMs: this.timing.headerMs, maxBodyBytes: maxEntryBytes, bodyStallMs: this.init.stallMs ?? REPLICA_TIMING.pullStallMs
    })
    body.opening = false
    const check = checkReplicaPullHeader(record, response.header)
    if (!check.accept) {
      response.abort()
      onEnd({ kind: 'header', reason: check.reason })
      return check.status
    }
    pace.bodyStarted(this.clock.now())
    try {
      await store.put(record.gradleKey, counted(response.body, bytes => { pace.received(bytes, this.clock.now()) }, () => { pace.bodyEnded() }, () => { body.threw = true }), {
        expectedSha256: check.sha256, expectedSize: check.size, producer: record.producer, signature: recordProof(record), signal
      })
    } catch (err) {
      if (provesCorrupt(err)) this.init.onCorrupt(from)
      throw err
    }
    this.records.hold(from, this.clock.now() + (this.init.recordMs ?? 3600_000))
    this.init.onStored(record)
    return 'stored'
  }
}

/** `body`, each chunk's size told to `onChunk` as it comes, its end to `onEnd`, and an error of its own to `onThrow`. */
async function * counted (body: AsyncIterable<Uint8Array>, onChunk: (bytes: number) => void, onEnd: () => void, onThrow: () => void): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks = body[Symbol.asyncIterator]()
  let ended = false
  try {
    for (;;) {
      const next = await chunks.next().catch((err: unknown) => { ended = true; onThrow(); throw err })
      if (next.done === true) break
      onChunk(next.value.byteLength)
      yield next.value
    }
    ended = true
  } finally {
    if (!ended) await chunks.return?.(undefined) // the store stopped reading: the body's stream is let go
  }
  onEnd()
}

function paceError (verdict: Exclude<PaceVerdict, { ok: true }>, size: number): Error {
  return verdict.reason === 'too-slow' ? new PullTooSlowError(verdict.bytes, verdict.needed) : new PullDeadlineError(verdict.deadlineMs, size)
}
