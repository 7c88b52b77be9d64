import test from 'ava'
import { CACHE_INDEX_PROTOCOL, CACHE_TOPIC, announceCodec, casFrameCodec, indexSyncCodec } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, only, recordBy, step, Timers } from './helpers.js'

const KEY = gradleKey(5)
const MISSING = casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })

test('a provider announced while a lookup runs is asked by that lookup, and its miss is not remembered', t => {
  const me = makeNode('me', ['a', 'b'])
  me.cache.start(0)
  const timers = new Timers()
  me.cache.onMessage('a', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 5)] }), 0)
  me.cache.get(KEY, 100, 2100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'])
  me.cache.onMessage('b', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 5)] }), 150)
  me.cache.onFetchHeader(KEY, 'a', MISSING, 200)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['b'], 'a lost it; b, announced meanwhile, is asked')

  me.cache.onFetchResult(KEY, 'b', 'timeout', 900)
  t.like(only(step(me, timers), 'answer')[0]?.outcome, { hit: false })
  me.cache.get(KEY, 1000, 3000)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['b'], 'b still provides the key: no miss was remembered')
})

test('an index page naming a provider lifts a remembered miss of its keys', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  const timers = new Timers()
  const request = me.cache.drainEffects().find(e => e.kind === 'send')
  t.truthy(request, 'me asks a for its index as it starts')
  me.cache.get(KEY, 100, 2100)
  t.like(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })

  const requestId = request?.kind === 'send' ? indexSyncCodec.decode(request.bytes).requestId : -1
  const page = indexSyncCodec.encode({ type: 'index-page', requestId, page: 0, last: true, claims: [{ provider: 'a', record: recordBy('ci', 5) }] })
  t.is(me.cache.onMessage('a', CACHE_INDEX_PROTOCOL, page, 200), 'accept')
  me.cache.get(KEY, 300, 2300)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'], 'within the 3 s the miss was remembered for, a is asked')
})

const BUSY = casFrameCodec.encode({ type: 'fetch-response', status: 'busy' })

test('a provider the DHT named that answers busy until the deadline leaves no remembered miss: the next GET asks again', t => {
  const me = makeNode('me', ['x', 'y'], { config: { lookup: { dhtMinPeers: 2 } } })
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(KEY, 100, 2100)
  t.is(only(step(me, timers), 'findProviders').length, 1)
  me.cache.onProvidersFound(KEY, ['x'], 200, true)
  let now = 200
  let answer: ReturnType<typeof only<'answer'>>[number] | undefined
  let busyAnswers = 0
  for (let round = 0; round < 200 && answer === undefined; round++) {
    const commands = step(me, timers)
    answer = only(commands, 'answer')[0]
    const fetches = only(commands, 'fetch')
    for (const f of fetches) {
      me.cache.onFetchHeader(KEY, f.peer, BUSY, now)
      busyAnswers++
    }
    if (fetches.length === 0 && answer === undefined) {
      now = Math.min(...timers.at.values())
      timers.fireDue(me.cache, now)
    }
  }
  t.true(busyAnswers >= 2, `x answered busy ${busyAnswers} times`)
  t.like(answer?.outcome, { hit: false })
  t.is(me.cache.lookup.negative.size, 0, 'x is alive and was only busy: no miss remembered')
  me.cache.get(KEY, now + 10, now + 2010)
  const next = step(me, timers)
  t.deepEqual(only(next, 'answer'), [], 'no negative-cache answer')
  t.is(only(next, 'findProviders').length, 1, 'the next GET looks for x again')
})

test('a miss remembered while the only provider was down is lifted when it comes back', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  const timers = new Timers()
  me.cache.onMessage('a', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 5)] }), 0)
  step(me, timers)
  me.peers.alive.delete('a')
  me.cache.onPeerDown('a', 50)
  me.cache.get(KEY, 100, 2100)
  t.like(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
  t.is(me.cache.lookup.negative.size, 1, 'nobody alive had it: the miss is remembered')

  me.peers.alive.add('a')
  me.cache.onPeerUp('a', 200)
  step(me, timers)
  me.cache.get(KEY, 210, 2210)
  const next = step(me, timers)
  t.deepEqual(only(next, 'answer'), [], 'no negative-cache answer')
  t.deepEqual(only(next, 'fetch').map(f => f.peer), ['a'], 'a, back, is asked at once')
})

test('a provider that came back lifts only the misses of keys it claims', t => {
  const me = makeNode('me', ['a', 'b'])
  me.cache.start(0)
  const timers = new Timers()
  me.cache.get(gradleKey(6), 100, 2100)
  t.like(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
  me.cache.onPeerDown('b', 150)
  me.cache.onPeerUp('b', 200)
  t.is(me.cache.lookup.negative.size, 1, 'b claims nothing: the miss of entry 6 stays')
})
