import test from 'ava'
import { EffectQueue } from '../../../protocols/core/index.js'
import type { Effect } from '../../../protocols/core/index.js'
import { CACHE_TOPIC, CacheAnnouncer, DEFAULT_ANNOUNCER, announceCodec } from '../../../protocols/cache/index.js'
import { gradleKey, recordBy } from './helpers.js'

function published (effects: readonly Effect[]): string[][] {
  return effects
    .filter((e): e is Extract<Effect, { kind: 'publish' }> => e.kind === 'publish' && e.topic === CACHE_TOPIC)
    .map(e => announceCodec.decode(e.bytes).records.map(r => r.gradleKey))
}

test('PUTs in quick succession go out as one batch when the flush timer fires', t => {
  const effects = new EffectQueue()
  const announcer = new CacheAnnouncer(effects, { ...DEFAULT_ANNOUNCER, flushIntervalMs: 250 })
  announcer.announce(recordBy('a', 1), 0)
  announcer.announce(recordBy('a', 2), 100)
  announcer.announce(recordBy('a', 3), 200)
  const waiting = effects.drain()
  t.deepEqual(published(waiting), [], 'nothing published yet')
  t.deepEqual(waiting.filter(e => e.kind === 'setTimer'), [{ kind: 'setTimer', key: 'cache/announce-flush', at: 250 }], 'one timer, armed by the first record')
  t.true(announcer.onTimer('cache/announce-flush', 250))
  t.deepEqual(published(effects.drain()), [[gradleKey(1), gradleKey(2), gradleKey(3)]])
  t.is(announcer.published, 3)
})

test('a full batch is published at once, by count or by bytes', t => {
  const effects = new EffectQueue()
  const byCount = new CacheAnnouncer(effects, { ...DEFAULT_ANNOUNCER, maxBatchRecords: 4 })
  for (let n = 1; n <= 5; n++) byCount.announce(recordBy('a', n), n)
  const out = effects.drain()
  t.deepEqual(published(out), [[1, 2, 3, 4].map(gradleKey)])
  t.true(out.some(e => e.kind === 'cancelTimer'), 'the flush timer of the sent batch is cancelled')

  const bySize = new CacheAnnouncer(effects, { ...DEFAULT_ANNOUNCER, maxBatchBytes: 600 })
  for (let n = 1; n <= 5; n++) bySize.announce(recordBy('a', n), n)
  const sizes = published(effects.drain()).map(batch => batch.length)
  t.true(sizes.length >= 1 && sizes.every(s => s < 5), `batches of ${sizes.join(', ')} records under 600 bytes`)
})

test('held records are announced again before other nodes forget them, a bounded number per pass', t => {
  const effects = new EffectQueue()
  const announcer = new CacheAnnouncer(effects, { ...DEFAULT_ANNOUNCER, refreshIntervalMs: 1000, refreshAfterMs: 3000, refreshPerPass: 2 })
  announcer.start(0)
  for (let n = 1; n <= 3; n++) announcer.announce(recordBy('a', n), 0)
  announcer.announce(recordBy('a', 4), 2500)
  announcer.onTimer('cache/announce-flush', 2600)
  announcer.forget(gradleKey(3))
  effects.drain()

  announcer.onTimer('cache/announce-refresh', 3000)
  announcer.onTimer('cache/announce-flush', 3250)
  t.deepEqual(published(effects.drain()), [[gradleKey(1), gradleKey(2)]], 'the two oldest due; 3 was evicted locally, 4 is fresh')
  announcer.onTimer('cache/announce-refresh', 5600)
  announcer.onTimer('cache/announce-flush', 5850)
  t.deepEqual(published(effects.drain()), [[gradleKey(4)]])
  t.is(announcer.heldCount, 3)
})

test('a stopping node publishes what is still pending', t => {
  const effects = new EffectQueue()
  const announcer = new CacheAnnouncer(effects)
  announcer.start(0)
  announcer.announce(recordBy('a', 9), 10)
  announcer.stop()
  t.deepEqual(published(effects.drain()), [[gradleKey(9)]])
})

test('a node holding 100,000 records announced at once announces every one again before the index TTL ends', t => {
  const effects = new EffectQueue()
  const announcer = new CacheAnnouncer(effects, DEFAULT_ANNOUNCER) // 5-minute passes, due after 3 h; peers forget after 6 h
  announcer.start(0)
  for (let n = 1; n <= 100_000; n++) announcer.announce(recordBy('a', n), 0)
  effects.drain()
  const hour = 60 * 60 * 1000
  const again = new Set<string>()
  for (let now = DEFAULT_ANNOUNCER.refreshIntervalMs; now < 6 * hour; now += DEFAULT_ANNOUNCER.refreshIntervalMs) {
    announcer.onTimer('cache/announce-refresh', now)
    announcer.stop() // publishes the pass's pending batch
    for (const batch of published(effects.drain())) for (const key of batch) again.add(key)
  }
  t.is(again.size, 100_000, 'none left unannounced for 6 h')
})
