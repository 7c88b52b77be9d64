import type { EffectQueue, Millis, PeerId } from '../core/index.js'
import type { CommandQueue } from './commands.js'
import type { LookupConfig } from './lookup-config.js'
import type { Candidate } from './provider-choice.js'
import { ProviderSlots } from './provider-slots.js'
import type { SignedRecord } from './record.js'

/** How much faster than so far a body may yet go: it is given up only if even that would not bring it in time. */
export const SLOW_BODY_GRACE = 2

/** The provider a lookup asks now; once its header is accepted, the body's record and how it moves. */
export interface Attempt extends Candidate {
  /** The `attempt` of its fetch command: results of an earlier fetch of the same key and peer do not match it. */
  readonly id: number
  accepted?: SignedRecord
  /** When the header was accepted (the body's start). */
  bodySince?: Millis
  /** The body's byte count when it last showed progress (`bodyProgressBytes` more than the mark before). */
  bodyMark?: number
}

/** One key's lookup (see `CacheLookup`). */
export interface Lookup {
  readonly key: string
  /**
   * When the GET must be answered; `deadline` runs past it only while an accepted body streams. Both move by a slot
   * wait and a wait for busy providers.
   */
  answerBy: Millis
  deadline: Millis
  /** The latest either may move to: `maxGetMs` after the GET started. */
  readonly endsBy: Millis
  queue: Candidate[]
  current?: Attempt
  /** The provider this lookup waits for a fetch slot of (see `ProviderSlots`), since when. */
  waitingOn?: Candidate
  waitingSince?: Millis
  /** Providers that answered `busy`: asked again after a wait once the others are exhausted (`BusyWaits`). */
  busy: Candidate[]
  /** When the pending retry is due (undefined: none pending); since when the lookup waits for it (undefined: it is asking someone else). */
  retryAt?: Millis
  busySince?: Millis
  /** Waits for busy providers so far, and how much of them moved the GET's deadline (at most `maxBusyWaitMs`). */
  busyRounds: number
  busyWaited: Millis
  readonly tried: Set<PeerId>
  /** Providers asked that answered `missing` (or with an entry not usable here): they do not count against a miss. */
  readonly lacking: Set<PeerId>
  dhtAsked: boolean
  /** The DHT was asked and may still name providers: an empty queue waits for them (or the DHT deadline). */
  dhtPending: boolean
  failures: number
}

export const LOOKUP_TIMER = 'cache/lookup/'
export const ATTEMPT_TIMER = 'cache/attempt/'
export const BODY_STALL_TIMER = 'cache/body-stall/'

export interface AttemptsDeps {
  readonly effects: EffectQueue
  readonly commands: CommandQueue
  /** Whether `peer` may be asked now: a lookup that waited for its slot moves on if not. */
  readonly mayAsk: (peer: PeerId, now: Millis) => boolean
  /** A lookup that no longer waits for a slot (its provider went down, or may not be asked now): its next step. */
  readonly moveOn: (lookup: Lookup, now: Millis) => void
  /** Counts the fetches sent. */
  readonly counters: { attempts: number }
}

/**
 * A wait that was not the search for a provider's (a full slot, busy providers) moves the GET's deadlines by its
 * length, never past `endsBy`, and re-arms the lookup's timer.
 */
export function creditWait (lookup: Lookup, waited: Millis, effects: EffectQueue): void {
  lookup.answerBy = Math.min(lookup.endsBy, lookup.answerBy + waited)
  lookup.deadline = Math.min(lookup.endsBy, lookup.deadline + waited)
  effects.setTimer(LOOKUP_TIMER + lookup.key, lookup.deadline)
}

/** Neither fetching nor waiting for a slot: the lookup may move on to its next step. */
export function isIdle (lookup: Lookup): boolean {
  return lookup.current === undefined && lookup.waitingOn === undefined
}

/**
 * Each lookup's fetch from one provider at a time: a fetch slot of that provider, held or waited for (lookups share
 * them, `ProviderSlots`); the header's timeout; once the header is accepted, the body's deadline and its stall watch.
 */
export class Attempts {
  private readonly slots: ProviderSlots<Lookup>
  private lastId = 0

  constructor (private readonly deps: AttemptsDeps, private readonly config: LookupConfig) {
    this.slots = new ProviderSlots(config.maxFetchesPerProvider)
  }

  /** This node's fetches waiting for a slot of `peer` (they count in its load). */
  queued (peer: PeerId): number {
    return this.slots.queued(peer)
  }

  /** Takes the provider to ask next off `lookup`'s queue: the best with a free slot, else the best. */
  pick (lookup: Lookup): Candidate | undefined {
    const free = lookup.queue.findIndex(c => this.slots.hasRoom(c.peer))
    return lookup.queue.splice(Math.max(0, free), 1)[0]
  }

  /** Asks `candidate` if a slot of it is free, else waits for one (the wait does not count against the GET's deadline). */
  begin (lookup: Lookup, candidate: Candidate, now: Millis): void {
    if (this.slots.hasRoom(candidate.peer)) {
      this.slots.take(candidate.peer)
      this.attempt(lookup, candidate, now)
      return
    }
    lookup.waitingOn = candidate
    lookup.waitingSince = now
    this.slots.wait(candidate.peer, lookup)
    this.deps.effects.setTimer(LOOKUP_TIMER + lookup.key, Math.min(lookup.endsBy, Math.max(lookup.deadline, now + this.config.maxSlotWaitMs)))
  }

  /** The provider's header was accepted: its body gets `bodyTimeoutMs`, and must keep moving (`bodyStallMs`). */
  bodyAccepted (lookup: Lookup, current: Attempt, record: SignedRecord, now: Millis): void {
    current.accepted = record
    current.bodySince = now
    current.bodyMark = 0
    this.deps.effects.cancelTimer(ATTEMPT_TIMER + lookup.key)
    lookup.deadline = Math.min(lookup.endsBy, Math.max(lookup.deadline, now + this.config.bodyTimeoutMs))
    this.deps.effects.setTimer(LOOKUP_TIMER + lookup.key, lookup.deadline)
    this.deps.effects.setTimer(BODY_STALL_TIMER + lookup.key, now + this.config.bodyStallMs)
  }

  /**
   * The body has `bytes` so far: each `bodyProgressBytes` more starts the stall watch over; the whole body ends it.
   * False when the body cannot finish in time (`canFinish`): the caller abandons it as it would a stalled one.
   */
  bodyProgress (lookup: Lookup, current: Attempt, bytes: number, now: Millis): boolean {
    const { accepted, bodyMark } = current
    if (accepted === undefined || bodyMark === undefined || bodyMark >= accepted.size) return true
    if (bytes >= accepted.size) {
      current.bodyMark = accepted.size
      this.deps.effects.cancelTimer(BODY_STALL_TIMER + lookup.key)
    } else if (bytes - bodyMark >= this.config.bodyProgressBytes) {
      current.bodyMark = bytes
      this.deps.effects.setTimer(BODY_STALL_TIMER + lookup.key, now + this.config.bodyStallMs)
    }
    return this.canFinish(lookup, current, bytes, now)
  }

  /**
   * Whether the body may still be in by the lookup's deadline: after `bodyStallMs`, at `SLOW_BODY_GRACE` times its
   * average rate so far. A body above the rate floor but far too slow for its size (10 MiB at 160 KiB/s) would hold
   * the GET to its deadline and then miss anyway; given up early, the next provider (or Gradle itself) gets that time.
   * A body below the rate floor on average is left to the stall watch, which penalises its provider (a dripper).
   */
  private canFinish (lookup: Lookup, current: Attempt, bytes: number, now: Millis): boolean {
    const elapsed = now - (current.bodySince ?? now)
    const size = current.accepted?.size ?? 0
    if (elapsed < this.config.bodyStallMs || bytes <= 0 || bytes >= size) return true
    if (bytes * this.config.bodyStallMs < this.config.bodyProgressBytes * elapsed) return true
    const rest = ((size - bytes) * elapsed) / (bytes * SLOW_BODY_GRACE)
    return now + rest <= lookup.deadline
  }

  /**
   * The body stalled: its fetch is called off, and the time it took does not count against the GET's deadline, like a
   * slot wait (that deadline bounds finding a provider; this one was found, then failed in bounded time), so that the
   * next provider may serve the GET.
   */
  bodyStalled (lookup: Lookup, now: Millis): void {
    const current = lookup.current
    if (current === undefined) return
    this.deps.commands.push({ kind: 'cancelFetch', key: lookup.key, peer: current.peer, attempt: current.id })
    lookup.answerBy = Math.min(lookup.endsBy, lookup.answerBy + (now - (current.bodySince ?? now)))
  }

  /**
   * The accepted body of the attempt that just ended failed: its extra time was for that body only, the GET's own
   * deadline holds again. False if that has passed.
   */
  bodyFailed (lookup: Lookup, now: Millis): boolean {
    if (lookup.deadline <= lookup.answerBy) return true
    lookup.deadline = lookup.answerBy
    if (now >= lookup.deadline) return false
    this.deps.effects.setTimer(LOOKUP_TIMER + lookup.key, lookup.deadline)
    return true
  }

  /** The current attempt is over: its slot goes to the next lookup waiting for that provider. */
  end (lookup: Lookup, now: Millis): void {
    const current = lookup.current
    lookup.current = undefined
    if (current === undefined) return
    if (current.accepted !== undefined) this.deps.effects.cancelTimer(BODY_STALL_TIMER + lookup.key)
    this.handOver(current.peer, now)
  }

  /** The lookup was answered: its fetch (unless it was the hit) and its wait for a slot are called off. */
  close (lookup: Lookup, hit: boolean, now: Millis): void {
    this.deps.effects.cancelTimer(ATTEMPT_TIMER + lookup.key)
    if (lookup.current !== undefined && !hit) this.deps.commands.push({ kind: 'cancelFetch', key: lookup.key, peer: lookup.current.peer, attempt: lookup.current.id })
    if (lookup.waitingOn !== undefined) this.slots.cancel(lookup.waitingOn.peer, lookup)
    this.end(lookup, now)
  }

  /** `peer` is down: the lookups waiting for a slot of it move on. */
  dropWaiters (peer: PeerId, now: Millis): void {
    for (const waiter of this.slots.dropWaiters(peer)) {
      this.stopWaiting(waiter, now)
      this.deps.moveOn(waiter, now)
    }
  }

  /** Asks `candidate` (a slot of it is held for this lookup). */
  private attempt (lookup: Lookup, candidate: Candidate, now: Millis): void {
    this.deps.counters.attempts++
    const { peer, record } = candidate
    const current: Attempt = record === undefined ? { peer, id: ++this.lastId } : { peer, record, id: ++this.lastId }
    lookup.current = current
    const deadline = Math.min(lookup.deadline, now + this.config.attemptTimeoutMs)
    this.deps.effects.setTimer(ATTEMPT_TIMER + lookup.key, deadline)
    this.deps.commands.push({ kind: 'fetch', key: lookup.key, peer, attempt: current.id, ...(record === undefined ? {} : { record }), deadline: lookup.deadline })
  }

  /** A slot of `peer` freed up: the first waiter that may still ask it takes it; those that may not move on. */
  private handOver (peer: PeerId, now: Millis): void {
    for (let waiter = this.slots.release(peer); waiter !== undefined; waiter = this.slots.release(peer)) {
      const candidate = this.stopWaiting(waiter, now)
      if (candidate !== undefined && this.deps.mayAsk(peer, now)) return this.attempt(waiter, candidate, now)
      this.deps.moveOn(waiter, now)
    }
  }

  /** The wait for a slot is over: the GET's deadline moves by the time it took. */
  private stopWaiting (lookup: Lookup, now: Millis): Candidate | undefined {
    const candidate = lookup.waitingOn
    const waited = now - (lookup.waitingSince ?? now)
    lookup.waitingOn = undefined
    lookup.waitingSince = undefined
    creditWait(lookup, waited, this.deps.effects)
    return candidate
  }
}
