import test from 'ava'
import { CACHE_TOPIC, TrustPolicy, announceCodec, casFrameCodec, ciPushesDevelopersRead } from '../../../protocols/cache/index.js'
import { Timers, gradleKey, makeNode, only, recordBy, step } from './helpers.js'

const KEY = gradleKey(5)
const MISSING = casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })
const announce = (...records: Array<ReturnType<typeof recordBy>>): Uint8Array => announceCodec.encode({ type: 'announce', records })

test('an announcement replayed after its provider dropped the entry does not put the claim back', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  const timers = new Timers()
  const old = announce(recordBy('ci', 5))
  t.is(me.cache.onMessage('a', CACHE_TOPIC, old, 0, 100n), 'accept')
  me.cache.get(KEY, 100, 2100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'])
  me.cache.onFetchHeader(KEY, 'a', MISSING, 200) // a dropped the entry since
  step(me, timers)
  t.false(me.cache.index.has(KEY, 'a'))
  const misses = me.cache.lookup.negative.size

  // the same signed announcement, sent again by anyone once gossipsub's seen-cache let it go (2 min)
  t.is(me.cache.onMessage('a', CACHE_TOPIC, old, 130_000, 100n), 'ignore')
  t.false(me.cache.index.has(KEY, 'a'), 'no claim for an entry a does not hold')
  t.is(me.cache.lookup.negative.size, misses, 'nor is a remembered miss lifted')
  t.is(me.cache.staleAnnouncements, 1)

  // a holds it again and says so: a later signature, taken
  t.is(me.cache.onMessage('a', CACHE_TOPIC, old, 140_000, 101n), 'accept')
  t.true(me.cache.index.has(KEY, 'a'))
})

test('an old announcement of an untrusted entry, replayed, does not remove the provider\'s later trusted claim', t => {
  const me = makeNode('me', ['a'], { trust: new TrustPolicy(ciPushesDevelopersRead(['ci-1'], false)) })
  me.cache.start(0)
  const untrusted = announce(recordBy('dev-1', 5))
  t.is(me.cache.onMessage('a', CACHE_TOPIC, untrusted, 0, 100n), 'ignore')
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci-1', 5)), 1_000, 200n), 'accept')
  t.true(me.cache.index.has(KEY, 'a'))
  me.cache.onMessage('a', CACHE_TOPIC, untrusted, 130_000, 100n)
  t.true(me.cache.index.has(KEY, 'a'), 'a still holds the CI\'s entry')
})

test('the order is per provider and key: a provider\'s batches arriving out of order lose no other key', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 6)), 0, 200n), 'accept')
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 5), recordBy('ci', 6)), 10, 150n), 'accept', 'key 5 is news')
  t.true(me.cache.index.has(KEY, 'a'))
  t.is(me.cache.staleAnnouncements, 1, 'key 6 was announced later already')
})

test('an announcement without a signed sequence number (a driver that has none) is taken as before', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 5)), 0, 100n)
  me.cache.index.remove(KEY, 'a')
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 5)), 10), 'accept')
  t.true(me.cache.index.has(KEY, 'a'))
})
