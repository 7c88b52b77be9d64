import test from 'ava'
import { CACHE_INDEX_PROTOCOL, CACHE_TOPIC, TrustPolicy, announceCodec, casFrameCodec, indexSyncCodec } from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, SignedRecord } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, only, recordBy, step, Timers } from './helpers.js'
import type { TestNode } from './helpers.js'

const KEY = gradleKey(1)
const CI_ONLY = new TrustPolicy({ producers: { mode: 'peers', peers: ['ci'] }, submitters: { mode: 'any-member' }, announceOwnPuts: true })

function found (record: SignedRecord): Uint8Array {
  return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
}

test('a provider the DHT named that holds an entry by a producer this node does not trust is not penalised: another trust list', t => {
  const me = makeNode('me', ['x', 'y'], { trust: CI_ONLY, config: { lookup: { dhtMinPeers: 2 } } })
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.cache.onProvidersFound(KEY, ['x'], 200)
  step(me, timers)
  t.deepEqual(me.cache.onFetchHeader(KEY, 'x', found(recordBy('laptop', 1)), 220), { accept: false })
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [])
  t.false(me.cache.lookup.isPenalised('x', 221))
})

test('with no provider in the index, a large mesh asks the DHT under its own short deadline', t => {
  const me = makeNode('me', ['x'], { config: { lookup: { dhtMinPeers: 2 } } })
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  t.deepEqual(only(step(me, timers), 'findProviders'), [{ kind: 'findProviders', key: KEY, deadline: 600 }])
  me.cache.onProvidersFound(KEY, ['x'], 300)
  const fetch = only(step(me, timers), 'fetch')[0]
  t.like(fetch, { peer: 'x', key: KEY })
  t.is(fetch?.record, undefined, 'the record arrives with the header')
  const record = recordBy('x', 1)
  t.like(me.cache.onFetchHeader(KEY, 'x', found(record), 320), { accept: true })
  me.cache.onFetchResult(KEY, 'x', 'ok', 400)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: true, peer: 'x', record })

  me.cache.get(gradleKey(2), 500, 2500)
  step(me, timers)
  t.true(timers.fireDue(me.cache, 1000).includes(`cache/dht/${gradleKey(2)}`))
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' }, 'the DHT stayed silent')
})

test('the DHT names providers one by one: a dead first name or a first provider that lost the entry does not end the lookup', t => {
  const me = makeNode('me', ['x', 'y'], { config: { lookup: { dhtMinPeers: 2 } } })
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.cache.onProvidersFound(KEY, ['gone'], 200) // not a live member: nothing to fetch from yet
  t.deepEqual(step(me, timers).filter(c => c.kind === 'answer' || c.kind === 'fetch'), [], 'the DHT is still walking: no miss yet')
  me.cache.onProvidersFound(KEY, ['x'], 250)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['x'])
  t.deepEqual(me.cache.onFetchHeader(KEY, 'x', casFrameCodec.encode({ type: 'fetch-response', status: 'missing' }), 260), { accept: false })
  t.deepEqual(step(me, timers).filter(c => c.kind === 'answer'), [], 'x evicted it; the DHT may name another')
  me.cache.onProvidersFound(KEY, ['y'], 300)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['y'])
  const record = recordBy('y', 1)
  t.like(me.cache.onFetchHeader(KEY, 'y', found(record), 320), { accept: true })
  me.cache.onFetchResult(KEY, 'y', 'ok', 400)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: true, peer: 'y', record })
})

test('a DHT walk that ends with no usable provider answers the miss at once, before the DHT deadline', t => {
  const me = makeNode('me', ['x'], { config: { lookup: { dhtMinPeers: 2 } } })
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.cache.onProvidersFound(KEY, ['gone'], 200)
  t.deepEqual(only(step(me, timers), 'answer'), [])
  me.cache.onProvidersFound(KEY, [], 250, true)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
  t.is(me.cache.lookup.inFlight, 0)
})

test('a mesh smaller than the DHT threshold answers a miss from the index alone, without waiting on the DHT', t => {
  const me = makeNode('me', ['x'], { config: { lookup: { dhtMinPeers: 3 } } })
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'findProviders'), [])
  t.deepEqual(only(commands, 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
})

/** A node of a mesh large enough for the DHT whose start-up index sync got its last page from `x`. */
function syncedLargeMeshNode (config: CacheConfigOverrides = {}): TestNode {
  const me = makeNode('me', ['x'], { config: { ...config, lookup: { dhtMinPeers: 2 }, sync: { peersPerRound: 1 } } })
  me.cache.start(0)
  const request = me.cache.drainEffects().find(e => e.kind === 'send')
  if (request?.kind !== 'send') throw new Error('no index request sent')
  const { requestId } = indexSyncCodec.decode(request.bytes)
  me.cache.onMessage('x', CACHE_INDEX_PROTOCOL, indexSyncCodec.encode({ type: 'index-page', requestId, page: 0, last: true, claims: [{ provider: 'x', record: recordBy('x', 5) }] }), 10)
  return me
}

test('a large mesh whose index is synced and has evicted nothing answers a miss at once, without the DHT', t => {
  const me = syncedLargeMeshNode()
  t.true(me.cache.synced)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'findProviders'), [])
  t.deepEqual(only(commands, 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
})

test('once the index has evicted keys to stay in bounds, a miss in a large mesh asks the DHT', t => {
  const me = syncedLargeMeshNode({ index: { maxEntries: 2 } })
  for (const n of [6, 7, 8]) me.cache.onMessage('x', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('x', n)] }), 20 + n)
  t.true(me.cache.index.evictedKeys > 0)
  me.cache.get(KEY, 100, 2100)
  t.deepEqual(only(step(me, new Timers()), 'findProviders').map(c => c.key), [KEY])
})
