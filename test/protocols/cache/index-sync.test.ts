import test from 'ava'
import { CACHE_INDEX_PROTOCOL, CACHE_TOPIC, announceCodec, indexSyncCodec } from '../../../protocols/cache/index.js'
import type { ProviderClaim } from '../../../protocols/cache/index.js'
import { Timers, gradleKey, makeNode, recordBy, settle, sha256Of } from './helpers.js'
import type { TestNode } from './helpers.js'

function putMany (node: TestNode, from: number, count: number, now: number): void {
  for (let n = from; n < from + count; n++) node.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`e${n}`), size: n, time: n }, now)
}

/** Lets `nodes` announce what they put at 10 ms and index each other's announcements (by 300 ms). */
function announceAll (nodes: TestNode[], timers: Map<string, Timers>): void {
  settle(nodes, timers, 10)
  for (const n of nodes) timers.get(n.self)?.fireDue(n.cache, 300)
  settle(nodes, timers, 300)
}

test('a node that joins late learns what exists by asking two peers for their index', t => {
  const a = makeNode('a', ['a', 'b'])
  const b = makeNode('b', ['a', 'b'])
  const timers = new Map([['a', new Timers()], ['b', new Timers()], ['c', new Timers()]])
  for (const n of [a, b]) n.cache.start(0)
  putMany(a, 1, 200, 10)
  putMany(b, 1000, 100, 10)
  announceAll([a, b], timers)
  t.is(b.cache.index.size, 200, 'b heard a\'s announcements')

  const c = makeNode('c', ['a', 'b', 'c'], { seed: 3 })
  a.peers.alive.add('c')
  b.peers.alive.add('c')
  c.cache.start(1000)
  const verdicts = settle([a, b, c], timers, 1000)
  t.true(c.cache.synced)
  t.true(verdicts.every(v => v === 'accept'))
  t.is(c.cache.index.keyCount, 300, 'every entry of the mesh')
  t.deepEqual(c.cache.index.lookup(gradleKey(5), 1001).map(p => p.peer).sort(), ['a'])
  t.deepEqual(c.cache.index.lookup(gradleKey(1005), 1001).map(p => p.peer), ['b'])
})

test('an index request is answered at most once per 10 s per peer', t => {
  const a = makeNode('a', ['a', 'x'])
  a.cache.start(0)
  putMany(a, 1, 3, 0)
  a.cache.drainEffects()
  const ask = (id: number) => indexSyncCodec.encode({ type: 'index-request', requestId: id })
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(1), 100), 'accept')
  t.is(a.cache.drainEffects().filter(e => e.kind === 'send').length, 1, 'three claims fit one page')
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(2), 9_000), 'ignore')
  t.is(a.cache.drainEffects().length, 0)
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(3), 10_100), 'accept')
})

test('a page nobody asked for is ignored, and a page with a forged record is rejected', t => {
  const c = makeNode('c', ['a', 'b'])
  c.cache.start(0)
  const sent = c.cache.drainEffects().filter(e => e.kind === 'send')
  t.is(sent.length, 2)
  const request = sent[0]
  if (request?.kind !== 'send') return t.fail()
  const { requestId } = indexSyncCodec.decode(request.bytes)
  const page = (claims: ProviderClaim[]): Uint8Array =>
    indexSyncCodec.encode({ type: 'index-page', requestId, page: 0, last: true, claims })
  t.is(c.cache.onMessage(request.to === 'a' ? 'b' : 'a', CACHE_INDEX_PROTOCOL, page([]), 10), 'ignore', 'wrong peer for this request id')
  const forged = { ...recordBy('a', 1), size: 1 }
  t.is(c.cache.onMessage(request.to, CACHE_INDEX_PROTOCOL, page([{ provider: request.to, record: forged }]), 20), 'reject')
  t.is(c.cache.index.size, 0)
  t.false(c.cache.synced)
})

test('when the asked peers stay silent, the newcomer asks others on the next round', t => {
  const c = makeNode('c', ['a', 'b', 'd'], { config: { sync: { peersPerRound: 1 } } })
  const timers = new Timers()
  c.cache.start(0)
  let effects = c.cache.drainEffects()
  timers.apply(effects)
  const first = effects.find(e => e.kind === 'send')
  t.true(timers.fireDue(c.cache, 5000).includes('cache/index-sync'))
  effects = c.cache.drainEffects()
  const second = effects.find(e => e.kind === 'send')
  t.truthy(first)
  t.truthy(second)
  if (first?.kind === 'send' && second?.kind === 'send') t.not(second.to, first.to, 'a different peer')
})

test('peers back after membership declared them dead are asked for their index, a few per 10 s', t => {
  const c = makeNode('c', ['a', 'b', 'd', 'e', 'f'])
  c.cache.start(0)
  c.cache.drainEffects()
  const requestsTo = (): string[] => c.cache.drainEffects().flatMap(e => e.kind === 'send' && indexSyncCodec.decode(e.bytes).type === 'index-request' ? [e.to] : [])
  for (const peer of ['a', 'b', 'd', 'e']) c.cache.onPeerDown(peer, 1000)
  c.cache.drainEffects()
  c.cache.onPeerUp('f', 20_000)
  t.deepEqual(requestsTo(), [], 'a peer that was never declared dead is not asked again')
  for (const peer of ['a', 'b', 'd', 'e']) c.cache.onPeerUp(peer, 20_000)
  t.deepEqual(requestsTo(), ['a', 'b', 'd'], 'the first three back are asked; the fourth waits for the next window')
  c.cache.onPeerDown('e', 21_000)
  c.cache.onPeerUp('e', 30_100)
  t.deepEqual(requestsTo(), ['e'])
})

test('a claim passed on through index sync keeps its age: however many newcomers relay it, a provider that left is forgotten on time', t => {
  const hour = 60 * 60 * 1000
  const c = makeNode('c', ['a', 'b'])
  c.cache.start(0)
  const request = c.cache.drainEffects().find(e => e.kind === 'send')
  if (request?.kind !== 'send') return t.fail()
  const { requestId } = indexSyncCodec.decode(request.bytes)
  // the asked node last heard p announce these 5 h and 10 min ago; q it heard from just now
  const page = indexSyncCodec.encode({
    type: 'index-page', requestId, page: 0, last: true,
    claims: [{ provider: 'p', record: recordBy('p', 1), ageMs: 5 * hour }, { provider: 'p', record: recordBy('p', 2), ageMs: 7 * hour }, { provider: 'q', record: recordBy('q', 3), ageMs: 0 }]
  })
  t.is(c.cache.onMessage(request.to, CACHE_INDEX_PROTOCOL, page, 10), 'accept')
  t.is(c.cache.index.keyCount, 2, 'a claim older than the TTL is not taken at all')
  const shared = [...c.cache.index.claims(20, 10)].map(p => [p.peer, Math.round((20 - p.seenAt) / hour)])
  t.deepEqual(shared.sort(), [['p', 5], ['q', 0]], 'passed on with the age it came with')
  t.deepEqual(c.cache.index.lookup(gradleKey(1), hour + 100).map(p => p.peer), [], 'p\'s claim ran out with its own 6 h, an hour later')
  t.deepEqual(c.cache.index.lookup(gradleKey(3), hour + 100).map(p => p.peer), ['q'])
})

test('an answer\'s pages may arrive in any order: the last one first does not close the request, the sync ends with the final page', t => {
  const a = makeNode('a', ['a', 'c'])
  a.cache.start(0)
  putMany(a, 1, 300, 0)
  a.cache.drainEffects()
  const c = makeNode('c', ['a'])
  c.cache.start(10)
  const request = c.cache.drainEffects().find(e => e.kind === 'send')
  if (request?.kind !== 'send') return t.fail()
  t.is(a.cache.onMessage('c', CACHE_INDEX_PROTOCOL, request.bytes, 20), 'accept')
  const pages = a.cache.drainEffects().flatMap(e => e.kind === 'send' ? [e.bytes] : [])
  t.is(pages.length, 3, '300 claims make three pages of up to 128')

  for (const [i, page] of [...pages].reverse().entries()) {
    t.false(c.cache.synced, `not synced before page ${i + 1} of 3`)
    t.is(c.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page, 30 + i), 'accept', 'pages after the last one still count')
  }
  t.true(c.cache.synced)
  t.is(c.cache.index.keyCount, 300, 'every claim, none lost to the last page arriving first')
})

/** `a` knows `p`'s 500 entries and holds 100 of its own, more than one answer carries (256 claims): c syncs from `a` alone. */
function largeMesh (): { a: TestNode, p: TestNode, c: TestNode, timers: Map<string, Timers> } {
  const config = { sync: { maxClaims: 256, peersPerRound: 1 } }
  const a = makeNode('a', ['a', 'p'], { config })
  const p = makeNode('p', ['a', 'p'], { config })
  const timers = new Map([['a', new Timers()], ['p', new Timers()], ['c', new Timers()]])
  for (const n of [a, p]) n.cache.start(0)
  putMany(p, 1000, 500, 10)
  putMany(a, 1, 100, 10)
  announceAll([a, p], timers)
  const c = makeNode('c', ['a'], { config, seed: 3 })
  a.peers.alive.add('c')
  return { a, p, c, timers }
}

test('a newcomer gets the whole index of a peer that knows more than one answer carries: it asks again after the last claim sent (fails before: it stopped at 256 claims and counted itself synced)', t => {
  const { a, c, timers } = largeMesh()
  t.is(a.cache.index.keyCount, 500, 'a heard p\'s announcements')
  c.cache.start(1000)
  const verdicts = settle([a, c], timers, 1000)
  t.true(verdicts.every(v => v === 'accept'))
  t.true(c.cache.synced)
  t.is(c.cache.index.keyCount, 600, 'every entry a knows of, not just the first 256 claims')

  c.peers.alive.add('p')
  c.cache.drainCommands()
  c.cache.get(gradleKey(1000), 2000)
  const commands = c.cache.drainCommands()
  t.deepEqual(commands.flatMap(cmd => cmd.kind === 'fetch' ? [cmd.peer] : []), ['p'], 'the entry beyond the old cut-off is fetched from its provider')
  t.false(commands.some(cmd => cmd.kind === 'answer'), 'not a no-provider miss')
})

test('a sync cut off mid-way (the peer went silent before the rest of its index) does not count as complete', t => {
  const { a, c, timers } = largeMesh()
  c.cache.start(1000)
  const request = c.cache.drainEffects().find(e => e.kind === 'send')
  if (request?.kind !== 'send') return t.fail()
  t.is(a.cache.onMessage('c', CACHE_INDEX_PROTOCOL, request.bytes, 1000), 'accept')
  const pages = a.cache.drainEffects().flatMap(e => e.kind === 'send' ? [e.bytes] : [])
  for (const page of pages) t.is(c.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page, 1010), 'accept')
  const followUp = c.cache.drainEffects().filter(e => e.kind === 'send')
  t.is(followUp.length, 1, 'c asks a for the rest')
  t.false(c.cache.synced, 'the first answer said it was not the whole index')
  // a is gone: the follow-up is never answered; the rounds run out with a as the only peer
  const mine = timers.get('c') as Timers
  for (let now = 1010; now < 60_000; now += 5000) {
    mine.apply(c.cache.drainEffects())
    mine.fireDue(c.cache, now)
  }
  t.false(c.cache.synced)
  t.false(c.cache.stats().synced)
})

test('a request going on from where the last answer to that peer stopped is answered at once; any other within 10 s is not', t => {
  const { a } = largeMesh()
  a.cache.drainEffects()
  const ask = (requestId: number, after?: string): Uint8Array => indexSyncCodec.encode(after === undefined ? { type: 'index-request', requestId } : { type: 'index-request', requestId, after })
  const answer = (): { claims: number, next?: string } => {
    const pages = a.cache.drainEffects().flatMap(e => e.kind === 'send' ? [indexSyncCodec.decode(e.bytes)] : [])
    const last = pages.find(p => p.type === 'index-page' && p.last)
    return { claims: pages.reduce((n, p) => n + (p.type === 'index-page' ? p.claims.length : 0), 0), ...(last?.type === 'index-page' && last.next !== undefined ? { next: last.next } : {}) }
  }
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(1), 1000), 'accept')
  const first = answer()
  t.is(first.claims, 256)
  if (first.next === undefined) return t.fail('the first answer is cut short')
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(2, gradleKey(3)), 1100), 'ignore', 'not where the answer stopped')
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(3, first.next), 1200), 'accept')
  const second = answer()
  t.is(second.claims, 256)
  if (second.next === undefined || second.next <= first.next) return t.fail('the second answer goes on further')
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(4, first.next), 1300), 'ignore', 'the same part again waits its 10 s')
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(5, second.next), 1400), 'accept')
  t.deepEqual(answer(), { claims: 600 - 512 }, 'the rest, and no `next`: the whole index was sent')
  t.is(a.cache.onMessage('x', CACHE_INDEX_PROTOCOL, ask(6), 1500), 'ignore', 'a new pass waits its 10 s')
})

test('an answer whose `next` does not move past where it started is rejected, not asked after again, and the node stays unsynced', t => {
  const c = makeNode('c', ['a'], { config: { sync: { peersPerRound: 1, maxClaims: 1 } } }) // an answer of one claim is a full one
  c.cache.start(0)
  const requestOf = (): { requestId: number, after?: string } => {
    const sent = c.cache.drainEffects().flatMap(e => e.kind === 'send' ? [indexSyncCodec.decode(e.bytes)] : [])
    const request = sent[0]
    return request?.type === 'index-request' ? request : { requestId: -1 }
  }
  const first = requestOf()
  const page = (requestId: number, n: number, next: string): Uint8Array =>
    indexSyncCodec.encode({ type: 'index-page', requestId, page: 0, last: true, claims: [{ provider: 'a', record: recordBy('a', n) }], next })
  t.is(c.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page(first.requestId, 5, gradleKey(5)), 10), 'accept')
  const second = requestOf()
  t.is(second.after, gradleKey(5), 'asked for the keys after the cut')
  t.is(c.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page(second.requestId, 2, gradleKey(2)), 20), 'reject')
  t.deepEqual(c.cache.drainEffects().filter(e => e.kind === 'send'), [], 'nothing is asked for again')
  t.false(c.cache.synced)
  t.is(c.cache.index.keyCount, 1, 'what came in order is kept')
})

test('an answer cut short right after a key whose claims all expired names the last key it sent a claim of, and the asker takes it (fails before: it named the expired key)', t => {
  const hour = 60 * 60 * 1000
  const a = makeNode('a', ['a', 'q', 'p', 'c'], { config: { sync: { maxClaims: 2, peersPerRound: 1 } } })
  a.cache.start(0)
  const heard = (from: string, n: number, now: number): void => {
    t.is(a.cache.onMessage(from, CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy(from, n)] }), now), 'accept')
  }
  heard('q', 2, 0) // expired by the time c asks
  const later = 6 * hour + 1000
  heard('p', 3, later)
  for (const n of [1, 3]) a.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`blob ${n}`), size: 1000 + n, time: n }, later)
  a.cache.drainEffects()
  t.is(a.cache.onMessage('c', CACHE_INDEX_PROTOCOL, indexSyncCodec.encode({ type: 'index-request', requestId: 1 }), later + 10), 'accept')
  const pages = a.cache.drainEffects().flatMap(e => e.kind === 'send' ? [indexSyncCodec.decode(e.bytes)] : [])
  const last = pages.find(p => p.type === 'index-page' && p.last)
  if (last?.type !== 'index-page') return t.fail()
  t.deepEqual(last.claims.map(c => c.record.gradleKey), [gradleKey(1)], 'key 3\'s two claims do not fit after key 1\'s')
  t.is(last.next, gradleKey(1))
})
