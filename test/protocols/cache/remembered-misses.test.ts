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
