import test from 'ava'
import { CACHE_TOPIC, announceCodec, casFrameCodec } from '../../../protocols/cache/index.js'
import type { LookupOutcome, SignedRecord } from '../../../protocols/cache/index.js'
import type { Millis } from '../../../protocols/core/index.js'
import { gradleKey, makeNode, only, recordBy, step, Timers } from './helpers.js'
import type { TestNode } from './helpers.js'

const BUSY = casFrameCodec.encode({ type: 'fetch-response', status: 'busy' })
const KEY = gradleKey(1)

function found (record: SignedRecord): Uint8Array {
  return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
}

/** `me` knows `a` (5 ms away) as the provider of entry 1; `others` are members too. */
function meWithProvider (others: readonly string[] = []): { me: TestNode, timers: Timers, record: SignedRecord } {
  const me = makeNode('me', ['a', ...others])
  me.peers.rtts.set('a', 5)
  me.cache.start(0)
  const record = recordBy('ci', 1)
  me.cache.onMessage('a', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [record] }), 0)
  const timers = new Timers()
  timers.apply(me.cache.drainEffects())
  return { me, timers, record }
}

/**
 * Runs a GET of entry 1 issued at 100 ms (2 s deadline): `a` answers each fetch 10 ms after it is sent, busy until
 * `busyUntil`, then with the entry (its body takes 500 ms). Timers fire at their time. Returns the answer, when it
 * came, and when `a` was asked.
 */
function runGet (me: TestNode, timers: Timers, record: SignedRecord, busyUntil: Millis): { outcome?: LookupOutcome, at: Millis, asked: Millis[] } {
  const asked: Millis[] = []
  let now = 100
  me.cache.get(KEY, now, now + 2000)
  let commands = step(me, timers)
  for (let rounds = 0; rounds < 1000; rounds++) {
    const outcome = only(commands, 'answer')[0]?.outcome
    if (outcome !== undefined) return { outcome, at: now, asked }
    if (only(commands, 'fetch').length > 0) {
      asked.push(now)
      now += 10
      if (now < busyUntil) {
        me.cache.onFetchHeader(KEY, 'a', BUSY, now)
      } else {
        me.cache.onFetchHeader(KEY, 'a', found(record), now)
        now += 500
        me.cache.onFetchResult(KEY, 'a', 'ok', now)
      }
    } else {
      const next = Math.min(...timers.at.values())
      if (!Number.isFinite(next)) break
      now = next
      timers.fireDue(me.cache, now)
    }
    commands = step(me, timers)
  }
  return { at: now, asked }
}

test('a provider that answers busy for 3 s, then serves, is a hit: waiting on it moves the GET\'s deadline like a slot wait', t => {
  const { me, timers, record } = meWithProvider()
  const { outcome, at, asked } = runGet(me, timers, record, 3100)
  t.like(outcome, { hit: true, peer: 'a' }, 'busy is no miss')
  t.true(at <= 100 + 28_000, `answered at ${at} ms, within maxGetMs`)
  t.true(at < 3100 + 1600 + 500 + 10, `asked again soon after it could serve (answered at ${at} ms)`)
  const waits = asked.slice(1).map((ask, i) => ask - (asked[i] as Millis) - 10)
  t.true(waits.every(w => w >= 100 && w <= 1600), `waits between 100 ms and 1.6 s: ${waits.join(', ')}`)
  t.true(waits.some(w => w > 200), `the waits grow past 200 ms: ${waits.join(', ')}`)
  t.true(waits.length < 14, `${waits.length} asks, not one every 200 ms`)
})

test('a provider busy for good: the GET misses once its waits used up maxBusyWaitMs, and the miss is not remembered', t => {
  const { me, timers, record } = meWithProvider()
  const { outcome, at } = runGet(me, timers, record, Number.POSITIVE_INFINITY)
  t.like(outcome, { hit: false, reason: 'all-providers-failed' })
  t.true(at > 100 + 2000 + 5000, `the waits moved the 2 s deadline (answered at ${at} ms)`)
  t.true(at <= 100 + 2000 + 10_000, `by at most maxBusyWaitMs (answered at ${at} ms)`)
  me.cache.get(KEY, at + 10, at + 2010)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'], 'the busy provider is still live: the next GET asks it again')
})

test('a provider announced while the lookup waits on a busy one is asked at once', t => {
  const { me, timers, record } = meWithProvider(['b'])
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.cache.onFetchHeader(KEY, 'a', BUSY, 110)
  step(me, timers)
  t.true(timers.at.has(`cache/busy-retry/${KEY}`), 'waiting on a')
  me.cache.onMessage('b', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [record] }), 150)
  t.like(only(step(me, timers), 'fetch'), [{ peer: 'b', deadline: 2140 }], 'b is asked, the 40 ms waited on a added to the deadline')
})
