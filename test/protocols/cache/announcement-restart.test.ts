import test from 'ava'
import { AnnouncementOrder } from '../../../protocols/cache/announcement-order.js'
import { CACHE_TOPIC, announceCodec } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, recordBy } from './helpers.js'

const KEY = gradleKey(5)
const announce = (...records: Array<ReturnType<typeof recordBy>>): Uint8Array => announceCodec.encode({ type: 'announce', records })

test('a provider that went down and came back with its clock behind is heard for the keys it announced before', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 5)), 0, 5_000n), 'accept')
  me.cache.onPeerDown('a', 1_000) // a restarts
  me.cache.index.remove(KEY, 'a') // its claim gone (a missing answer while it rebuilt, or the index TTL)
  me.cache.onPeerUp('a', 60_000)
  // the restarted process announces what it holds, its gossipsub sequence numbers seeded from a clock now behind
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 5)), 61_000, 4_000n), 'accept')
  t.true(me.cache.index.has(KEY, 'a'))
  t.is(me.cache.staleAnnouncements, 0)
  // and the new process's order holds from there
  t.is(me.cache.onMessage('a', CACHE_TOPIC, announce(recordBy('ci', 5)), 62_000, 4_000n), 'ignore')
  t.is(me.cache.staleAnnouncements, 1)
})

test('forgetting a provider\'s order leaves the others\' as it was', t => {
  const order = new AnnouncementOrder()
  t.true(order.take('a', 'k1', 10n))
  t.true(order.take('a', 'k2', 11n))
  t.true(order.take('b', 'k1', 10n))
  order.forget('a')
  t.is(order.size, 1)
  t.true(order.take('a', 'k1', 1n), 'a starts again')
  t.false(order.take('b', 'k1', 9n), 'b is still ordered')
  order.forget('nobody')
  t.is(order.size, 2)
})

test('the bound still holds with the provider index, and forgetting after a trim touches only the pairs still held', t => {
  const order = new AnnouncementOrder(10)
  for (let i = 0; i < 25; i++) t.true(order.take(i % 2 === 0 ? 'a' : 'b', `k${i}`, BigInt(100 + i)))
  t.true(order.size <= 10)
  const indexed = (order as unknown as { byProvider: Map<string, Set<string>> }).byProvider
  t.is([...indexed.values()].reduce((n, pairs) => n + pairs.size, 0), order.size, 'trimmed pairs leave the provider index too')
  const held = order.size
  order.forget('a')
  t.true(order.size < held)
  t.true(order.take('b', 'k1', 1n), 'a pair trimmed long ago is taken as before')
  t.false(order.take('b', 'k23', 123n), 'b\'s recent pairs are still ordered')
  order.forget('b')
  t.is(order.size, 0)
  t.is(indexed.size, 0)
  t.true(order.take('b', 'k23', 1n))
})
