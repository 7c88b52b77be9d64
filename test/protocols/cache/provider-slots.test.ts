import test from 'ava'
import { CACHE_TOPIC, announceCodec, casFrameCodec } from '../../../protocols/cache/index.js'
import type { LookupConfig, SignedRecord } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, only, recordBy, step, Timers } from './helpers.js'
import type { TestNode } from './helpers.js'

const BUSY = casFrameCodec.encode({ type: 'fetch-response', status: 'busy' })

function found (record: SignedRecord): Uint8Array {
  return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
}

/** `me` knows `providers` as holders of entries 1..`entries`, at most `perProvider` fetches at once from each. */
function meshWithEntries (providers: readonly string[], entries: number, perProvider: number, lookup: Partial<LookupConfig> = {}): { me: TestNode, timers: Timers, records: SignedRecord[] } {
  const me = makeNode('me', providers, { config: { lookup: { maxFetchesPerProvider: perProvider, ...lookup } } })
  providers.forEach((peer, i) => me.peers.rtts.set(peer, 5 + 50 * i))
  me.cache.start(0)
  const records = Array.from({ length: entries }, (_, i) => recordBy('ci', i + 1))
  for (const peer of providers) me.cache.onMessage(peer, CACHE_TOPIC, announceCodec.encode({ type: 'announce', records }), 0)
  const timers = new Timers()
  timers.apply(me.cache.drainEffects())
  return { me, timers, records }
}

test('parallel GETs from one provider run a few at a time: the others wait for a slot instead of failing', t => {
  const { me, timers, records } = meshWithEntries(['a'], 5, 2)
  for (let n = 1; n <= 5; n++) me.cache.get(gradleKey(n), 100, 2100)
  const started = new Map(only(step(me, timers), 'fetch').map(f => [f.key, 100]))
  t.deepEqual([...started.keys()], [gradleKey(1), gradleKey(2)], 'two fetches at once from a')
  t.is(timers.at.get(`cache/attempt/${gradleKey(3)}`), undefined, 'a waiting GET has no attempt running out')

  // each body takes a second: the last GETs get their slot long after their 2 s deadline, which the wait moved
  for (let n = 1; n <= 5; n++) {
    const key = gradleKey(n)
    const at = started.get(key) ?? t.fail(`${key} never started`)
    t.false(timers.fireDue(me.cache, at + 50).some(timer => timer.startsWith('cache/lookup/')), 'no GET ran out of time waiting for a slot')
    me.cache.onFetchHeader(key, 'a', found(records[n - 1] as SignedRecord), at + 50)
    me.cache.onFetchResult(key, 'a', 'ok', at + 1000)
    const commands = step(me, timers)
    t.like(only(commands, 'answer'), [{ key, outcome: { hit: true } }])
    const next = only(commands, 'fetch').map(f => f.key)
    t.deepEqual(next, n + 2 <= 5 ? [gradleKey(n + 2)] : [], 'the freed slot goes to the next GET in line')
    for (const k of next) started.set(k, at + 1000)
  }
  t.is(me.cache.stats().misses, 0)
})

test('a GET whose best provider is full goes to another provider with a free slot', t => {
  const { me, timers } = meshWithEntries(['near', 'far'], 3, 2)
  for (let n = 1; n <= 3; n++) me.cache.get(gradleKey(n), 100, 2100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['near', 'near', 'far'])
})

test('a busy provider is asked again shortly, and a GET that still ends in a miss is not remembered as one', t => {
  const { me, timers, records } = meshWithEntries(['a'], 1, 2)
  const key = gradleKey(1)
  me.cache.get(key, 100, 2100)
  step(me, timers)
  t.deepEqual(me.cache.onFetchHeader(key, 'a', BUSY, 110), { accept: false })
  t.deepEqual(only(step(me, timers), 'answer'), [], 'no miss while the deadline allows a retry')
  t.deepEqual(timers.fireDue(me.cache, 310), [`cache/busy-retry/${key}`])
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'], 'asked again 200 ms later')
  me.cache.onFetchHeader(key, 'a', found(records[0] as SignedRecord), 320)
  me.cache.onFetchResult(key, 'a', 'ok', 330)
  t.like(only(step(me, timers), 'answer')[0]?.outcome, { hit: true, peer: 'a' })

  const other = gradleKey(2)
  me.cache.onMessage('a', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 2)] }), 400)
  me.cache.get(other, 500, 800)
  step(me, timers)
  me.cache.onFetchResult(other, 'a', 'error', 510)
  t.like(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'all-providers-failed' })
  me.cache.get(other, 600, 2600)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'], 'a failed fetch is no "nobody has it": the next GET asks again')
})

test('a GET that waited long for a slot still ends within 28 s of its start, under Gradle\'s 30 s read timeout', t => {
  // bodies that move too slowly for the stall watch (lookup-attempts.test.ts), which this test leaves out
  const { me, timers, records } = meshWithEntries(['a'], 2, 1, { bodyStallMs: 30_000 })
  me.cache.get(gradleKey(1), 100, 2100)
  me.cache.get(gradleKey(2), 100, 2100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.key), [gradleKey(1)], 'one slot: the second GET waits')
  // the first body takes 9 s: the second GET gets its slot at 9,100 ms, its header at once, then a body that never ends
  me.cache.onFetchHeader(gradleKey(1), 'a', found(records[0] as SignedRecord), 150)
  step(me, timers)
  t.false(timers.fireDue(me.cache, 9100).some(timer => timer.startsWith('cache/lookup/')), 'neither GET ran out of time')
  me.cache.onFetchResult(gradleKey(1), 'a', 'ok', 9100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.key), [gradleKey(2)])
  me.cache.onFetchHeader(gradleKey(2), 'a', found(records[1] as SignedRecord), 9110)
  step(me, timers)
  t.is(timers.at.get(`cache/lookup/${gradleKey(2)}`), 100 + 28_000, 'the body gets until 28 s after the GET, not 25 s after its header')
  timers.fireDue(me.cache, 100 + 28_000)
  t.like(only(step(me, timers), 'answer'), [{ key: gradleKey(2), outcome: { hit: false, reason: 'deadline' } }])
})
