import test from 'ava'
import { CACHE_INDEX_PROTOCOL, indexSyncCodec } from '../../../protocols/cache/index.js'
import type { IndexSyncMessage, ProviderClaim } from '../../../protocols/cache/index.js'
import { Timers, gradleKey, makeNode, recordBy } from './helpers.js'
import type { TestNode } from './helpers.js'

type Request = Extract<IndexSyncMessage, { type: 'index-request' }>
/** What a scripted peer answers to one request: the pages it sends back (none: it stays silent). */
type Answerer = (request: Request) => Array<Extract<IndexSyncMessage, { type: 'index-page' }>>

interface Run { readonly requests: Map<string, number>, readonly verdicts: string[] }

/**
 * Drives newcomer `c` for `untilMs` of simulated time against scripted peers, each answering every request
 * `delayMs` after it arrives; c's timers fire when due. Returns how many requests each peer got.
 */
function drive (c: TestNode, answerers: Record<string, Answerer>, untilMs: number, delayMs = 1000): Run {
  const timers = new Timers()
  const pending: Array<{ at: number, from: string, bytes: Uint8Array }> = []
  const requests = new Map<string, number>()
  const verdicts: string[] = []
  const carry = (now: number): void => {
    const effects = c.cache.drainEffects()
    timers.apply(effects)
    for (const e of effects) {
      if (e.kind !== 'send') continue
      const request = indexSyncCodec.decode(e.bytes)
      const answerer = answerers[e.to]
      if (request.type !== 'index-request' || answerer === undefined) continue
      requests.set(e.to, (requests.get(e.to) ?? 0) + 1)
      for (const page of answerer(request)) pending.push({ at: now + delayMs, from: e.to, bytes: indexSyncCodec.encode(page) })
    }
  }
  c.cache.start(0)
  carry(0)
  for (;;) {
    const nextTimer = Math.min(...timers.at.values())
    const nextPage = Math.min(...pending.map(p => p.at))
    const now = Math.min(nextTimer, nextPage)
    if (!Number.isFinite(now) || now > untilMs) return { requests, verdicts }
    if (nextPage <= nextTimer) {
      const due = pending.splice(pending.findIndex(p => p.at === nextPage), 1)[0]
      if (due !== undefined) verdicts.push(c.cache.onMessage(due.from, CACHE_INDEX_PROTOCOL, due.bytes, now))
    } else {
      timers.fireDue(c.cache, now)
    }
    carry(now)
  }
}

const HOUR = 60 * 60 * 1000

/** A peer that always says there is more after a key it never sends. */
function emptyPagesForever (): Answerer {
  let n = 1
  return request => [{ type: 'index-page', requestId: request.requestId, page: 0, last: true, claims: [], next: gradleKey(n++) }]
}

/** A peer that sends one fresh claim signed by itself per answer, each time saying more follow: a chain with no end. */
function oneClaimForever (peer: string): Answerer {
  let n = 1
  return request => {
    const record = recordBy(peer, n++)
    return [{ type: 'index-page', requestId: request.requestId, page: 0, last: true, claims: [{ provider: peer, record }], next: record.gradleKey }]
  }
}

/** An honest peer with `count` claims, which always answers in full. */
function honest (peer: string, count: number): Answerer {
  const claims: ProviderClaim[] = []
  for (let n = 1; n <= count; n++) claims.push({ provider: peer, record: recordBy(peer, 10_000 + n), ageMs: 0 })
  return request => [{ type: 'index-page', requestId: request.requestId, page: 0, last: true, claims }]
}

test('a peer answering every request with an empty page that says more follow cannot keep a newcomer paging (fails before: 3,600 requests in an hour)', t => {
  const c = makeNode('c', ['m'], { config: { sync: { peersPerRound: 1 } } })
  const run = drive(c, { m: emptyPagesForever() }, HOUR)
  t.false(c.cache.synced)
  t.true(run.verdicts.every(v => v === 'reject'), 'a cut-short page without claims is rejected')
  t.is(run.requests.get('m'), c.cache.config.sync.maxRounds, 'one request per round, and the rounds run out')
})

test('a peer sending one valid claim per answer, always saying more follow, is not followed: an answer cut short must be as full as an honest one (fails before: unbounded)', t => {
  const sync = { peersPerRound: 1, maxClaims: 10_000 }
  const c = makeNode('c', ['m'], { config: { sync } })
  const run = drive(c, { m: oneClaimForever('m') }, HOUR)
  t.false(c.cache.synced)
  t.is(run.requests.get('m'), c.cache.config.sync.maxRounds, 'one request per round, and the rounds run out')
})

/** An honest peer holding `count` entries of its own, which pages through them `maxClaims` at a time in key order. */
function honestPaging (peer: string, count: number, maxClaims: number): Answerer {
  const claims: ProviderClaim[] = []
  for (let n = 1; n <= count; n++) claims.push({ provider: peer, record: recordBy(peer, n), ageMs: 0 })
  claims.sort((x, y) => x.record.gradleKey < y.record.gradleKey ? -1 : 1)
  return request => {
    const after = request.after
    const rest = claims.filter(c => after === undefined || c.record.gradleKey > after)
    const answer = rest.slice(0, maxClaims)
    const next = rest.length > maxClaims ? answer.at(-1)?.record.gradleKey : undefined
    return [{ type: 'index-page', requestId: request.requestId, page: 0, last: true, claims: answer, ...(next === undefined ? {} : { next }) }]
  }
}

test('an honest peer whose answer takes many more follow-ups than this node\'s index holds keys for is paged through to its end (fails before: the chain stopped at a cap, unsynced)', t => {
  const sync = { peersPerRound: 1, maxClaims: 10 }
  const c = makeNode('c', ['p'], { config: { sync, index: { maxEntries: 40 } } })
  const run = drive(c, { p: honestPaging('p', 120, 10) }, HOUR)
  t.true(c.cache.synced)
  t.is(run.requests.get('p'), 12)
})

test('once synced from an honest peer, a newcomer stops following a hostile peer\'s chain (fails before: it follows it forever)', t => {
  const c = makeNode('c', ['m', 'h'], { config: { sync: { peersPerRound: 2 } } })
  const run = drive(c, { m: oneClaimForever('m'), h: honest('h', 5) }, HOUR)
  t.true(c.cache.synced)
  t.is(run.requests.get('h'), 1)
  t.true((run.requests.get('m') ?? 0) <= 2, `m was asked ${run.requests.get('m') ?? 0} times`)
})

test('follow-up pages do not stretch a round past its total time', t => {
  const sync = { peersPerRound: 1, maxClaims: 10, timeoutMs: 5000, maxRoundMs: 20_000 }
  const c = makeNode('c', ['m'], { config: { sync, index: { maxEntries: 1_000_000 } } })
  const run = drive(c, { m: oneClaimForever('m') }, HOUR, 4000)
  t.false(c.cache.synced)
  // each answer takes 4 s: a round of 20 s holds the first request and 4 follow-ups, whose last answer comes too late
  t.is(run.requests.get('m'), 5 * c.cache.config.sync.maxRounds)
})

test('a page that breaks the paging rules is rejected and ends that chain: claims not after `after`, or `next` not the last key sent', t => {
  const c = makeNode('c', ['a'], { config: { sync: { peersPerRound: 1, maxClaims: 1 } } }) // an answer of one claim is a full one
  c.cache.start(0)
  const requestOf = (): Request => {
    const sent = c.cache.drainEffects().flatMap(e => e.kind === 'send' ? [indexSyncCodec.decode(e.bytes)] : [])
    const request = sent[0]
    return request?.type === 'index-request' ? request : { type: 'index-request', requestId: -1 }
  }
  const page = (requestId: number, ns: number[], next?: string): Uint8Array => indexSyncCodec.encode({
    type: 'index-page', requestId, page: 0, last: true, claims: ns.map(n => ({ provider: 'a', record: recordBy('a', n) })), ...(next === undefined ? {} : { next })
  })
  const first = requestOf()
  t.is(c.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page(first.requestId, [1, 2], gradleKey(5)), 10), 'reject', '`next` is not the last key sent')
  t.deepEqual(requestOf().requestId, -1, 'nothing asked after it')
  t.false(c.cache.synced)

  const c2 = makeNode('c', ['a'], { config: { sync: { peersPerRound: 1, maxClaims: 2 } } }) // an answer of two claims is a full one
  c2.cache.start(0)
  const r1 = c2.cache.drainEffects().flatMap(e => e.kind === 'send' ? [indexSyncCodec.decode(e.bytes)] : [])[0]
  if (r1?.type !== 'index-request') return t.fail()
  t.is(c2.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page(r1.requestId, [1, 5], gradleKey(5)), 10), 'accept')
  const r2 = c2.cache.drainEffects().flatMap(e => e.kind === 'send' ? [indexSyncCodec.decode(e.bytes)] : [])[0]
  if (r2?.type !== 'index-request') return t.fail()
  t.is(r2.after, gradleKey(5))
  t.is(c2.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page(r2.requestId, [3, 7]), 20), 'reject', 'a claim at or before `after`')
  t.false(c2.cache.synced)
  t.is(c2.cache.index.keyCount, 2, 'the rejected page is not applied')
})
