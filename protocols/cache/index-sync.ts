import type { EffectQueue, Millis, PeerId, Random } from '../core/index.js'
import { CACHE_INDEX_PROTOCOL, CACHE_INDEX_PROTOCOL_1_2, CACHE_MESSAGE_MAX_BYTES, MAX_RECORDS_PER_MESSAGE, indexSyncCodec } from './messages.js'
import type { IndexSyncMessage, ProviderClaim } from './messages.js'
import { recordWireBytes } from './announcer.js'
import { trimOldest } from './negative-cache.js'
import { DEFAULT_PROVIDER_INDEX } from './provider-index.js'

export interface IndexSyncConfig {
  /**
   * Peers back after they were declared dead (a partition healed, a pause ended) are asked for
   * their index, the first `rejoinResyncPeers` of them per `rejoinResyncMs`: what was announced
   * while they could not hear each other arrives in a few exchanges, not by re-announcing it all.
   */
  readonly rejoinResyncMs: Millis
  readonly rejoinResyncPeers: number
  /** Peers a newcomer asks at once for what they know. */
  readonly peersPerRound: number
  /** Rounds before giving up (a round ends when a page stops arriving for `timeoutMs`). */
  readonly maxRounds: number
  readonly timeoutMs: Millis
  /**
   * Longest a round lasts, follow-up answers included: pages stop pushing its end out past this (a peer that keeps
   * saying more follows cannot hold a round open).
   */
  readonly maxRoundMs: Millis
  /** Most claims one answer carries (pages of up to 128 records); the asker asks again for the rest. */
  readonly maxClaims: number
  /** A peer gets at most one answer per this interval (an index request is cheap to send, costly to answer). */
  readonly answerIntervalMs: Millis
}

export const DEFAULT_INDEX_SYNC: IndexSyncConfig = Object.freeze({
  rejoinResyncMs: 10_000,
  rejoinResyncPeers: 3,
  peersPerRound: 2,
  maxRounds: 3,
  timeoutMs: 5000,
  maxRoundMs: 120_000,
  maxClaims: 8192,
  answerIntervalMs: 10_000
})

export const SYNC_TIMER = 'cache/index-sync'
const PAGE_BUDGET_BYTES = CACHE_MESSAGE_MAX_BYTES - 1024

/**
 * An index request in flight: the pages of its answer that arrived, how many there are once the last came, and
 * the key the answer stopped after when it was cut short (the next request to the same peer goes on from there).
 */
interface Outstanding {
  readonly peer: PeerId
  readonly after?: string | undefined
  /** Whether its chain is a rejoin resync. */
  readonly resync: boolean
  readonly pages: Set<number>
  /** Claims in the pages that came. */
  claims: number
  total?: number
  next?: string | undefined
}

/** What one answer carries: claims in key order, and `next` (the last key sent) when more keys follow it. */
export interface SharedClaims { readonly claims: readonly ProviderClaim[], readonly next?: string | undefined }

/** When a peer was last answered, and the key that answer stopped after if it was cut short. */
interface Answered { readonly at: Millis, readonly next: string | undefined }

/**
 * How a node that joins late learns what exists: it asks one or two live peers for their index
 * (`index-request`), and each answers with numbered pages of signed provider claims (`index-page`, the
 * last one flagged). Pages may arrive in any order: an answer is complete once every page up to the last
 * one's number came. An answer holds at most `maxClaims` claims, in key order; one cut short says after which key
 * it stopped, and the asker asks the same peer again from there, until an answer that is not cut short: only then
 * is the node synced (a peer gone mid-way leaves it unsynced, and the next round starts over on another peer).
 * Cost is O(index) per newcomer on two peers, in bounded answers, not a periodic mesh-wide digest.
 * Requests time out and are retried on other peers for a few rounds; answers are rate-limited per peer (an answer
 * going on from where the previous one to that peer stopped is not: its key only moves forward).
 */
export class IndexSync {
  private nextRequestId = 1
  private round = 0
  private done = false
  private readonly outstanding = new Map<number, Outstanding>()
  private readonly asked = new Set<PeerId>()
  private readonly answered = new Map<PeerId, Answered>()
  private roundEndsAt = -Infinity
  /**
   * The fewest claims an honest answer cut short carries: it stops before the first key whose claims would take it
   * past `maxClaims`, and a key has at most `maxProvidersPerKey` claims heard plus the answerer's own. A chain goes on
   * only after such answers, so a peer keeps a newcomer asking only by sending it that much of an index each time
   * (its length is bounded by the round's time, not by a count of answers an honest index might need more of).
   */
  private readonly minCutShortClaims: number

  /** `maxProvidersPerKey`: the most claims of one key a provider index keeps. */
  constructor (private readonly effects: EffectQueue, private readonly random: Random, readonly config: IndexSyncConfig = DEFAULT_INDEX_SYNC,
    maxProvidersPerKey = DEFAULT_PROVIDER_INDEX.maxProvidersPerKey) {
    this.minCutShortClaims = Math.max(1, config.maxClaims - maxProvidersPerKey - 1)
  }

  get synced (): boolean {
    return this.done
  }

  /** Starts a round if this node has not synced yet and none is running. */
  maybeStart (alivePeers: readonly PeerId[], now: Millis): void {
    if (this.done || this.outstanding.size > 0 || this.round >= this.config.maxRounds) return
    const fresh = alivePeers.filter(p => !this.asked.has(p))
    const pool = fresh.length > 0 ? fresh : [...alivePeers]
    for (let i = 0; i < this.config.peersPerRound && pool.length > 0; i++) {
      const peer = pool.splice(this.random.nextInt(pool.length), 1)[0] as PeerId
      this.asked.add(peer)
      this.ask(peer, { resync: false })
    }
    if (this.outstanding.size === 0) return
    this.round++
    this.roundEndsAt = now + this.config.maxRoundMs
    this.arm(now)
  }

  /** Whether a page from `from` with this request id answers one of our requests. */
  expects (from: PeerId, requestId: number): boolean {
    return this.outstanding.get(requestId)?.peer === from
  }

  /**
   * Whether an expected page keeps to the paging rules an honest answerer follows: every claim is for a key after
   * the request's `after`, and a `next` is the key of the last claim sent (so it has claims, and moves forward). A
   * page that breaks them ends its request's chain (the round then runs out, unsynced).
   */
  admits (page: Extract<IndexSyncMessage, { type: 'index-page' }>): boolean {
    const request = this.outstanding.get(page.requestId)
    if (request === undefined) return false
    const { after } = request
    const inOrder = after === undefined || page.claims.every(c => c.record.gradleKey > after)
    const next = page.next === undefined || page.claims.at(-1)?.record.gradleKey === page.next
    if (inOrder && next) return true
    this.outstanding.delete(page.requestId)
    return false
  }

  /** An expected page was admitted, verified and applied: the answer is complete once all its pages came, whatever their order. */
  pageApplied (page: Extract<IndexSyncMessage, { type: 'index-page' }>, now: Millis): void {
    const request = this.outstanding.get(page.requestId)
    if (request === undefined) return
    request.pages.add(page.page)
    request.claims += page.claims.length
    if (page.last) {
      request.total = page.page + 1
      request.next = page.next
    }
    if (request.total === undefined || request.pages.size < request.total) {
      this.arm(now)
      return
    }
    this.outstanding.delete(page.requestId)
    if (request.next !== undefined) {
      // the chain goes on only while it may: after an answer as full as an honest one cut short, within the round's
      // time, and (a start-up chain) until another peer's answer synced this node; else it ends here, unsynced
      const { peer, resync, next } = request
      if (request.claims >= this.minCutShortClaims && now < this.roundEndsAt && (resync || !this.done)) {
        this.ask(peer, { after: next, resync })
        this.arm(now)
      }
      return
    }
    this.done = true
    if (this.outstanding.size === 0) this.effects.cancelTimer(SYNC_TIMER)
  }

  /** Asks one peer for its index outside the start-up rounds (a peer back after a partition). */
  requestFrom (peer: PeerId, now: Millis): void {
    if (this.outstanding.size === 0) this.roundEndsAt = now + this.config.maxRoundMs
    this.ask(peer, { resync: true })
    this.arm(now)
  }

  /** The round timed out: forget unanswered requests; the caller may start another round. */
  onTimeout (): void {
    this.outstanding.clear()
  }

  /**
   * Answers `from`'s index request (for keys after `after`, if set) with what `share` gives, in pages on `via` (the
   * protocol version it was asked on), unless `from` was answered recently and this request does not go on from where
   * that answer stopped.
   */
  answer (from: PeerId, requestId: number, after: string | undefined, share: () => SharedClaims, now: Millis, via = CACHE_INDEX_PROTOCOL): boolean {
    const previous = this.answered.get(from)
    const goesOn = after !== undefined && previous?.next === after
    if (!goesOn && previous !== undefined && now - previous.at < this.config.answerIntervalMs) return false
    const { claims, next } = share()
    this.answered.delete(from)
    this.answered.set(from, { at: now, next })
    if (this.answered.size > 4096) trimOldest(this.answered, 4096)
    this.sendPages({ from, via, requestId }, claims, next)
    return true
  }

  private sendPages (to: { readonly from: PeerId, readonly via: string, readonly requestId: number }, claims: readonly ProviderClaim[], next: string | undefined): void {
    const { from, via, requestId } = to
    let page: ProviderClaim[] = []
    let number = 0
    let bytes = 0
    for (const claim of claims) {
      const size = recordWireBytes(claim.record) + claim.provider.length + 2
      if (page.length >= MAX_RECORDS_PER_MESSAGE || bytes + size > PAGE_BUDGET_BYTES) {
        this.send(from, via, { type: 'index-page', requestId, page: number++, last: false, claims: page })
        page = []
        bytes = 0
      }
      page.push(claim)
      bytes += size
    }
    this.send(from, via, { type: 'index-page', requestId, page: number, last: true, claims: page, ...(next === undefined ? {} : { next }) })
  }

  /** The round times out `timeoutMs` after its last request or page, and at the latest when it ends. */
  private arm (now: Millis): void {
    this.effects.setTimer(SYNC_TIMER, Math.min(now + this.config.timeoutMs, this.roundEndsAt))
  }

  private ask (peer: PeerId, chain: { readonly after?: string, readonly resync: boolean }): void {
    const requestId = this.nextRequestId++
    const { after } = chain
    this.outstanding.set(requestId, { peer, after, resync: chain.resync, pages: new Set(), claims: 0 })
    // a first request is a 1.2.0 frame too: asked on 1.3.0, or 1.2.0 by a peer that speaks only that (its answer
    // then comes on 1.2.0, without `next`); one going on with `after` only follows a 1.3.0 answer
    if (after === undefined) this.effects.send(peer, CACHE_INDEX_PROTOCOL, indexSyncCodec.encode({ type: 'index-request', requestId }), [CACHE_INDEX_PROTOCOL_1_2])
    else this.send(peer, CACHE_INDEX_PROTOCOL, { type: 'index-request', requestId, after })
  }

  private send (to: PeerId, via: string, message: IndexSyncMessage): void {
    this.effects.send(to, via, indexSyncCodec.encode(message))
  }
}
