import test from 'ava'
import { DEFAULT_PROVIDER_INDEX, ProviderIndex, announceCodec, CACHE_TOPIC } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, only, recordBy } from './helpers.js'

test('a node learns providers from an announcement batch; a dead provider is skipped, and found again when it comes back', t => {
  const b = makeNode('b', ['a', 'b', 'c'])
  b.cache.start(0)
  const batch = announceCodec.encode({ type: 'announce', records: [recordBy('a', 1), recordBy('a', 2)] })
  t.is(b.cache.onMessage('a', CACHE_TOPIC, batch, 10), 'accept')
  t.is(b.cache.onMessage('c', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('a', 1)] }), 11), 'accept')

  t.deepEqual(b.cache.index.lookup(gradleKey(1), 20).map(p => p.peer).sort(), ['a', 'c'], 'the producer and a second holder')
  t.deepEqual(b.cache.index.lookup(gradleKey(2), 20).map(p => p.peer), ['a'])

  b.peers.alive.delete('a')
  b.cache.onPeerDown('a', 30)
  b.cache.get(gradleKey(1), 31)
  t.deepEqual(only(b.cache.drainCommands(), 'fetch').map(f => f.peer), ['c'], 'entry 1 comes from c while a is dead')
  b.cache.get(gradleKey(2), 32)
  t.like(only(b.cache.drainCommands(), 'answer')[0], { key: gradleKey(2), outcome: { hit: false, reason: 'no-provider' } }, 'entry 2 had only a')

  b.peers.alive.add('a')
  b.cache.onPeerUp('a', 10_000)
  b.cache.get(gradleKey(2), 10_001)
  t.deepEqual(only(b.cache.drainCommands(), 'fetch').map(f => f.peer), ['a'], 'a is back: its entries are found without re-announcing')
})

test('claims expire after the TTL unless heard again', t => {
  const index = new ProviderIndex({ ...DEFAULT_PROVIDER_INDEX, maxEntries: 100, ttlMs: 1000 })
  index.add('a', recordBy('a', 1), 0)
  index.add('b', recordBy('b', 1), 0)
  index.add('b', recordBy('b', 1), 800)
  t.is(index.lookup(gradleKey(1), 1000).length, 2, 'both fresh at the TTL boundary')
  t.deepEqual(index.lookup(gradleKey(1), 1500).map(p => p.peer), ['b'], 'a was last heard at 0, b at 800')
  t.is(index.sweep(1801), 1, 'the sweep drops b too')
  t.is(index.size, 0)
  t.is(index.keyCount, 0)
})

test('memory stays bounded: past the limit the least recently looked-up keys go first, a tenth at a time', t => {
  const index = new ProviderIndex({ ...DEFAULT_PROVIDER_INDEX, maxEntries: 20, ttlMs: 60_000 })
  for (let n = 1; n <= 20; n++) index.add('a', recordBy('a', n), n)
  index.lookup(gradleKey(1), 30)
  index.lookup(gradleKey(2), 31)
  index.add('a', recordBy('a', 21), 32)
  t.is(index.size, 18, 'trimmed to 90% of the limit in one pass')
  t.deepEqual(index.lookup(gradleKey(3), 33), [], 'keys 3, 4 and 5 were the least recently used')
  t.deepEqual(index.lookup(gradleKey(5), 33), [])
  t.is(index.lookup(gradleKey(6), 33).length, 1)
  t.is(index.lookup(gradleKey(1), 33).length, 1, 'key 1 was looked up and stays')
  t.is(index.removePeer('a'), 18)
  t.is(index.size, 0)
})

test('a repeated claim replaces the older record without growing the index', t => {
  const index = new ProviderIndex({ ...DEFAULT_PROVIDER_INDEX, maxEntries: 10, ttlMs: 60_000 })
  t.true(index.add('a', recordBy('a', 1), 0))
  t.false(index.add('a', { ...recordBy('a', 1), time: 99 }, 5))
  t.is(index.size, 1)
  t.is(index.lookup(gradleKey(1), 6)[0]?.record.time, 99)
})

test('a popular entry keeps only its most recently heard providers', t => {
  const index = new ProviderIndex({ ...DEFAULT_PROVIDER_INDEX, maxProvidersPerKey: 3 })
  for (const [i, peer] of ['a', 'b', 'c', 'd'].entries()) index.add(peer, recordBy('ci', 1), i)
  index.add('b', recordBy('ci', 1), 10)
  index.add('e', recordBy('ci', 1), 11)
  t.deepEqual(index.lookup(gradleKey(1), 12).map(p => p.peer).sort(), ['b', 'd', 'e'], 'a then c were heard longest ago')
  t.is(index.size, 3)
  t.is(index.removePeer('a'), 0, 'a\'s reverse entry went with its claim')
})
