import test from 'ava'
import { CACHE_INDEX_PROTOCOL, CACHE_TOPIC, announceCodec, indexSyncCodec } from '../../../protocols/cache/index.js'
import type { IndexSyncMessage } from '../../../protocols/cache/index.js'
import { Timers, gradleKey, makeNode, recordBy, settle, sha256Of } from './helpers.js'
import type { TestNode } from './helpers.js'

/** The id 1.2.0 nodes speak (written out: the constant for it is new with 1.3.0). */
const V1_2 = '/gmesh/cache-index/1.2.0'

/** `a` holds 300 entries, more than one answer carries (maxClaims 100). */
function bigPeer (): TestNode {
  const a = makeNode('a', ['a', 'c'], { config: { sync: { maxClaims: 100 } } })
  a.cache.start(0)
  for (let n = 1; n <= 300; n++) a.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`e${n}`), size: n, time: n }, 0)
  a.cache.drainEffects()
  return a
}

function sent (node: TestNode): Array<{ to: string, via: string, fallback?: readonly string[], message: IndexSyncMessage }> {
  return node.cache.drainEffects().flatMap(e => e.kind === 'send'
    ? [{ to: e.to, via: e.protocolId, ...(e.fallbackProtocolIds === undefined ? {} : { fallback: e.fallbackProtocolIds }), message: indexSyncCodec.decode(e.bytes) }]
    : [])
}

test('a 1.2.0 asker of a node that knows more than one answer carries gets what a 1.2.0 node sent: the cut-off answer on 1.2.0, without a `next` it would reject (fails before: the last page said next, so it never synced and kept asking)', t => {
  const a = bigPeer()
  t.is(a.cache.onMessage('c', V1_2, indexSyncCodec.encode({ type: 'index-request', requestId: 7 }), 100), 'accept')
  const pages = sent(a)
  t.true(pages.length > 0)
  t.true(pages.every(p => p.via === V1_2), 'answered on the version it was asked on')
  const claims = pages.reduce((n, p) => n + (p.message.type === 'index-page' ? p.message.claims.length : 0), 0)
  t.is(claims, 100)
  t.true(pages.every(p => p.message.type === 'index-page' && p.message.next === undefined), 'no trailing bytes for a 1.2.0 decoder')
})

test('a 1.2.0 answer starts with the node\'s own entries, newest first, then the claims it heard, as 1.2.0 nodes answered (fails before: the lowest keys first, its own entries left out)', t => {
  const a = makeNode('a', ['a', 'b', 'c'], { config: { sync: { maxClaims: 5 } } })
  a.cache.start(0)
  const heard = Array.from({ length: 10 }, (_, i) => recordBy('b', i + 1)) // keys 1 to 10
  a.cache.onMessage('b', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: heard }), 0)
  for (let n = 0x100; n < 0x103; n++) a.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`e${n}`), size: n, time: n }, 1)
  a.cache.drainEffects()
  t.is(a.cache.onMessage('c', V1_2, indexSyncCodec.encode({ type: 'index-request', requestId: 7 }), 100), 'accept')
  const claims = sent(a).flatMap(p => p.message.type === 'index-page' ? p.message.claims : [])
  t.deepEqual(claims.slice(0, 3).map(c => [c.provider, c.record.gradleKey]), [0x102, 0x101, 0x100].map(n => ['a', gradleKey(n)]))
  t.is(claims.length, 5)
  t.true(claims.slice(3).every(c => c.provider === 'b'))
})

test('a 1.2.0 frame with 1.3.0 fields is rejected, as a 1.2.0 decoder rejects trailing bytes', t => {
  const a = bigPeer()
  t.is(a.cache.onMessage('c', V1_2, indexSyncCodec.encode({ type: 'index-request', requestId: 7, after: gradleKey(5) }), 100), 'reject')
  t.deepEqual(sent(a), [])
  const c = makeNode('c', ['a'], { config: { sync: { peersPerRound: 1 } } })
  c.cache.start(0)
  const [request] = sent(c)
  if (request?.message.type !== 'index-request') return t.fail()
  const page = indexSyncCodec.encode({ type: 'index-page', requestId: request.message.requestId, page: 0, last: true, claims: [{ provider: 'a', record: recordBy('a', 5) }], next: gradleKey(5) })
  t.is(c.cache.onMessage('a', V1_2, page, 10), 'reject')
  t.false(c.cache.synced)
})

test('a newcomer asks on 1.3.0, or 1.2.0 if the peer speaks only that; a 1.2.0 answer syncs it as before; a request going on asks 1.3.0 alone (fails before: 1.2.0 only, no fallback)', t => {
  const c = makeNode('c', ['a'], { config: { sync: { peersPerRound: 1, maxClaims: 1 } } }) // an answer of one claim is a full one
  c.cache.start(0)
  const [first] = sent(c)
  if (first?.message.type !== 'index-request') return t.fail()
  t.is(first.via, CACHE_INDEX_PROTOCOL)
  t.not(CACHE_INDEX_PROTOCOL, V1_2, 'paging has a protocol id of its own')
  t.deepEqual(first.fallback, [V1_2])
  const page = (requestId: number, next?: string): Uint8Array => indexSyncCodec.encode({
    type: 'index-page', requestId, page: 0, last: true, claims: [{ provider: 'a', record: recordBy('a', 5) }], ...(next === undefined ? {} : { next })
  })
  t.is(c.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page(first.message.requestId, gradleKey(5)), 10), 'accept')
  const [followUp] = sent(c)
  if (followUp?.message.type !== 'index-request') return t.fail()
  t.is(followUp.message.after, gradleKey(5))
  t.is(followUp.via, CACHE_INDEX_PROTOCOL)
  t.is(followUp.fallback, undefined, 'only a 1.3.0 peer says `next`')

  const old = makeNode('c', ['a'], { config: { sync: { peersPerRound: 1 } } })
  old.cache.start(0)
  const [request] = sent(old)
  if (request?.message.type !== 'index-request') return t.fail()
  t.is(old.cache.onMessage('a', V1_2, page(request.message.requestId), 10), 'accept')
  t.true(old.cache.synced, 'a 1.2.0 peer\'s whole answer')
})

test('two nodes of this version page through the whole index on 1.3.0', t => {
  const a = bigPeer()
  const c = makeNode('c', ['a'], { config: { sync: { maxClaims: 100, peersPerRound: 1 } } })
  const timers = new Map([['a', new Timers()], ['c', new Timers()]])
  c.cache.start(1000)
  const verdicts = settle([a, c], timers, 1000)
  t.true(verdicts.every(v => v === 'accept'))
  t.true(c.cache.synced)
  t.is(c.cache.index.keyCount, 300)
})
