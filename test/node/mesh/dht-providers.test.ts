import test from 'ava'
import { pino } from 'pino'
import { DhtProviders, cacheKeyCid } from '../../../node/mesh/dht-providers.js'
import { lineOfThree, startNode } from '../libp2p/helpers.js'

const logger = pino({ level: 'silent' })
const KEY = 'ab'.repeat(32)

test('a cache key names the same content id on every node, and another key another one', async t => {
  t.true((await cacheKeyCid(KEY)).equals(await cacheKeyCid(KEY)))
  t.false((await cacheKeyCid(KEY)).equals(await cacheKeyCid('cd'.repeat(32))))
})

test('a node finds the provider of a key through the DHT of a line of three nodes on loopback', async t => {
  const [a, , c] = await lineOfThree(t)
  const stop = new AbortController()
  t.teardown(() => { stop.abort() })
  const onA = new DhtProviders({ libp2p: a, logger }, stop.signal)
  const onC = new DhtProviders({ libp2p: c, logger }, stop.signal)
  t.true(await onA.provide(KEY), 'the DHT took the provider record')
  const found: string[] = []
  await onC.find(KEY, 20_000, peer => { found.push(peer) })
  t.deepEqual([...new Set(found)], [a.peerId.toString()])
  t.like(onC.stats, { lookups: 1 })
  await onC.find('ef'.repeat(32), 5000, peer => { found.push(peer) })
  t.is(new Set(found).size, 1, 'nobody provides another key')
})

test('provides past the queue bound are dropped and counted; a stopped node provides nothing', async t => {
  const a = await startNode(t)
  const stop = new AbortController()
  const dht = new DhtProviders({ libp2p: a, logger }, stop.signal, { concurrency: 1, maxQueued: 1 })
  const first = dht.provide('01'.repeat(32))
  const second = dht.provide('02'.repeat(32))
  const third = dht.provide('03'.repeat(32))
  t.false(await second, 'pushed out of the queue by the third')
  t.is(dht.stats.provideDropped, 1)
  stop.abort()
  await Promise.all([first, third])
  t.false(await dht.provide('04'.repeat(32)))
})
