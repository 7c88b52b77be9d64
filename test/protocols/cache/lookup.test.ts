import test from 'ava'
import { CACHE_TOPIC, NegativeCache, TrustPolicy, announceCodec, casFrameCodec, signRecord } from '../../../protocols/cache/index.js'
import type { SignedRecord } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, only, recordBy, sha256Of, signerFor, step, Timers } from './helpers.js'
import type { TestNode } from './helpers.js'

const KEY = gradleKey(1)

function found (record: SignedRecord): Uint8Array {
  return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
}

/** `me` knows three providers of entry 1: near (5 ms), far (80 ms) and busy (5 ms, ten transfers queued). */
function meshWithThreeProviders (options: Parameters<typeof makeNode>[2] = {}): { me: TestNode, timers: Timers, record: SignedRecord } {
  const me = makeNode('me', ['near', 'far', 'busy'], options)
  me.peers.rtts.set('near', 5).set('far', 80).set('busy', 5)
  me.peers.loads.set('busy', 10)
  me.cache.start(0)
  const record = recordBy('ci', 1)
  for (const peer of ['far', 'busy', 'near']) me.cache.onMessage(peer, CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [record] }), 0)
  const timers = new Timers()
  timers.apply(me.cache.drainEffects())
  return { me, timers, record }
}

test('a GET fetches from the nearest idle provider and answers a hit once the bytes are verified', t => {
  const { me, timers, record } = meshWithThreeProviders()
  me.cache.get(KEY, 100, 2100)
  const fetches = only(step(me, timers), 'fetch')
  t.deepEqual(fetches.map(f => f.peer), ['near'], 'near beats busy (same RTT, ten queued) and far (80 ms)')
  t.is(fetches[0]?.deadline, 2100)

  const decision = me.cache.onFetchHeader(KEY, 'near', found(record), 120)
  t.like(decision, { accept: true, sha256: record.sha256, size: record.size })
  me.cache.onFetchResult(KEY, 'near', 'ok', 150)
  const answers = only(step(me, timers), 'answer')
  t.deepEqual(answers, [{ kind: 'answer', key: KEY, outcome: { hit: true, peer: 'near', record } }])
  t.is(me.cache.announcer.heldCount, 1, 'me now provides the entry too')
  t.is(me.cache.lookup.inFlight, 0)
})

test('a provider that serves corrupt bytes is penalised and the next one is tried', t => {
  const { me, timers, record } = meshWithThreeProviders()
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.cache.onFetchHeader(KEY, 'near', found(record), 110)
  me.cache.onFetchResult(KEY, 'near', 'corrupt', 130)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'corrupt-blob' }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'], 'far (85 ms) before busy (255 ms)')
  t.false(me.cache.index.has(KEY, 'near'), 'near no longer counts as a provider of this entry')
  t.true(me.cache.lookup.isPenalised('near', 131))

  me.cache.onMessage('near', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 2)] }), 140)
  me.cache.get(gradleKey(2), 150, 2150)
  t.deepEqual(only(step(me, timers), 'answer').map(a => a.key), [gradleKey(2)], 'the only provider of entry 2 is near, which is benched')
})

test('when no provider answers its header, the GET answers a miss exactly at its deadline', t => {
  const { me, timers } = meshWithThreeProviders()
  me.cache.get(KEY, 100, 1000)
  step(me, timers)
  timers.fireDue(me.cache, 850)
  step(me, timers)
  t.true(timers.fireDue(me.cache, 1000).includes(`cache/lookup/${KEY}`))
  t.deepEqual(only(step(me, timers), 'answer'), [{ kind: 'answer', key: KEY, outcome: { hit: false, reason: 'deadline' } }])
})

test('a mesh-wide miss is remembered for a few seconds, then asked again', t => {
  const me = makeNode('me', ['a'])
  me.cache.start(0)
  const timers = new Timers()
  const missing = gradleKey(77)
  me.cache.get(missing, 100, 2100)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
  me.cache.get(missing, 2000, 4000)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'negative-cache' }, 'within the 3 s TTL')
  me.cache.get(missing, 3100, 5100)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' }, 'TTL over: looked up again')

  me.cache.onMessage('a', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('a', 77)] }), 3200)
  me.cache.get(missing, 3300, 5300)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['a'], 'an announcement lifts the remembered miss at once')
})

const CI_ONLY = new TrustPolicy({ producers: { mode: 'peers', peers: ['ci'] }, submitters: { mode: 'any-member' }, announceOwnPuts: true })

test('a header with a badly signed record or "missing" moves on to the next provider', t => {
  const { me, timers } = meshWithThreeProviders({ trust: CI_ONLY })
  me.cache.get(KEY, 100, 5000)
  step(me, timers)
  const forged = recordBy('ci', 1, signerFor('near'))
  t.deepEqual(me.cache.onFetchHeader(KEY, 'near', found(forged), 110), { accept: false })
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'bad-signature' }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'])

  t.deepEqual(me.cache.onFetchHeader(KEY, 'far', casFrameCodec.encode({ type: 'fetch-response', status: 'missing' }), 120), { accept: false })
  t.deepEqual(only(step(me, timers), 'penalise'), [], 'losing an entry is no misbehaviour')
  t.false(me.cache.index.has(KEY, 'far'), 'a provider that no longer has the entry is forgotten')
})

test('a provider that announced a trusted record and answers with an untrusted one has rebuilt it: its claim is dropped, not penalised, and the lookup moves on', t => {
  const { me, timers, record } = meshWithThreeProviders({ trust: CI_ONLY })
  me.cache.onMessage('near', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 2)] }), 50)
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  const rebuilt = recordBy('near', 1) // well signed, for the right key, by a producer `me` does not trust: near PUT it again
  t.deepEqual(me.cache.onFetchHeader(KEY, 'near', found(rebuilt), 110), { accept: false })
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [], 'an honest rebuild looks like this: forgiven once')
  t.deepEqual(only(commands, 'fetch').map(f => [f.peer, f.deadline]), [['far', 2100]], 'the next provider at once, under the same deadline')
  t.false(me.cache.index.has(KEY, 'near'), 'its stale claim is dropped')
  t.false(me.cache.lookup.isPenalised('near', 111))

  t.like(me.cache.onFetchHeader(KEY, 'far', found(record), 200), { accept: true })
  me.cache.onFetchResult(KEY, 'far', 'ok', 250)
  t.deepEqual(only(step(me, timers), 'answer'), [{ kind: 'answer', key: KEY, outcome: { hit: true, peer: 'far', record } }])
  me.cache.get(gradleKey(2), 300, 2300)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['near'], 'near is still asked for its other entries')
})

test('a provider that substitutes the same key again within the penalty time is a forger, penalised on every key', t => {
  const { me, timers } = meshWithThreeProviders({ trust: CI_ONLY })
  me.cache.onMessage('near', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 2), recordBy('ci', 3)] }), 50)
  me.cache.get(gradleKey(2), 100, 2100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['near'])
  me.cache.onFetchHeader(gradleKey(2), 'near', found(recordBy('near', 2)), 110)
  t.deepEqual(only(step(me, timers), 'penalise'), [], 'a rebuilt key 2: forgiven, its claim dropped')

  me.cache.onMessage('near', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('ci', 2)] }), 200)
  me.cache.get(gradleKey(2), 300, 2300)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['near'], 'near claims key 2 by ci again')
  me.cache.onFetchHeader(gradleKey(2), 'near', found(recordBy('near', 2)), 310)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'untrusted-record' }], 'the same bait twice is forgery')
  t.true(me.cache.lookup.isPenalised('near', 311))
  me.cache.get(gradleKey(3), 400, 2400)
  const other = step(me, timers)
  t.deepEqual(only(other, 'fetch'), [], 'near is skipped for its other entries too')
  t.deepEqual(only(other, 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })
})

test('a header with the record of another key is penalised as a wrong record', t => {
  const { me, timers } = meshWithThreeProviders({ trust: CI_ONLY })
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  t.deepEqual(me.cache.onFetchHeader(KEY, 'near', found(recordBy('ci', 9)), 110), { accept: false }, 'trusted and well signed, but for entry 9')
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'wrong-record' }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'])
})

test('a provider that replaced its entry by a newer record of a trusted producer is used, not penalised', t => {
  const { me, timers } = meshWithThreeProviders({ trust: new TrustPolicy({ producers: { mode: 'peers', peers: ['ci', 'ci2'] }, submitters: { mode: 'any-member' }, announceOwnPuts: true }) })
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  const rebuilt = signRecord({ gradleKey: KEY, sha256: sha256Of('blob 1 rebuilt'), size: 1200, producer: 'ci2', time: 1_700_000_100_000 }, signerFor('ci2'))
  t.deepEqual(me.cache.onFetchHeader(KEY, 'near', found(rebuilt), 110), { accept: true, sha256: rebuilt.sha256, size: 1200, record: rebuilt })
  me.cache.onFetchResult(KEY, 'near', 'ok', 150)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [])
  t.deepEqual(only(commands, 'answer')[0]?.outcome, { hit: true, peer: 'near', record: rebuilt })
  t.deepEqual(me.cache.index.lookup(KEY, 151).find(p => p.peer === 'near')?.record, rebuilt, 'the index now holds the newer record')
})

test('a provider that announces an untrusted record for a key it announced a trusted one for is no longer asked for it', t => {
  const { me, timers, record } = meshWithThreeProviders({ trust: CI_ONLY })
  // near's Gradle PUT the key again: near now holds its own build of it, which `me` does not trust
  me.cache.onMessage('near', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [recordBy('near', 1)] }), 50)
  t.false(me.cache.index.has(KEY, 'near'))
  me.cache.get(KEY, 100, 2100)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'], 'no wasted attempt, no penalty for an honest provider')
  me.cache.onFetchHeader(KEY, 'far', found(record), 120)
  me.cache.onFetchResult(KEY, 'far', 'ok', 150)
  t.deepEqual(only(step(me, timers), 'penalise'), [])
})

test('an entry over this node\'s size limit is never fetched: not from the index, not from a provider the DHT names', t => {
  const { me, timers } = meshWithThreeProviders({ config: { lookup: { maxEntryBytes: 1000 } } }) // record 1 is 1,001 bytes
  me.cache.get(KEY, 100, 2100)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'fetch'), [], 'three providers in the index, none fetched')
  t.deepEqual(only(commands, 'answer')[0]?.outcome, { hit: false, reason: 'no-provider' })

  const viaDht = makeNode('me', ['x'], { config: { lookup: { dhtMinPeers: 2, maxEntryBytes: 1000 } } })
  viaDht.cache.start(0)
  const dhtTimers = new Timers()
  viaDht.cache.get(KEY, 100, 2100)
  step(viaDht, dhtTimers)
  viaDht.cache.onProvidersFound(KEY, ['x'], 200, true)
  step(viaDht, dhtTimers)
  t.deepEqual(viaDht.cache.onFetchHeader(KEY, 'x', found(recordBy('x', 1)), 220), { accept: false })
  const after = step(viaDht, dhtTimers)
  t.deepEqual(only(after, 'penalise'), [], 'a bigger limit elsewhere is no misbehaviour')
  t.deepEqual(only(after, 'answer')[0]?.outcome, { hit: false, reason: 'all-providers-failed' })
})

test('concurrent GETs of one key share one lookup and one answer', t => {
  const { me, timers, record } = meshWithThreeProviders()
  me.cache.get(KEY, 100, 2100)
  me.cache.get(KEY, 101, 2101)
  t.is(only(step(me, timers), 'fetch').length, 1)
  me.cache.onFetchHeader(KEY, 'near', found(record), 110)
  me.cache.onFetchResult(KEY, 'near', 'ok', 120)
  t.is(only(step(me, timers), 'answer').length, 1)
})

test('a provider declared dead mid-fetch is dropped at once, and the stats count what happened', t => {
  const { me, timers, record } = meshWithThreeProviders()
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.peers.alive.delete('near')
  me.cache.onPeerDown('near', 200)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'cancelFetch'), [{ kind: 'cancelFetch', key: KEY, peer: 'near', attempt: 1 }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'], 'no waiting for the attempt timeout')
  me.cache.onFetchHeader(KEY, 'far', found(record), 250)
  me.cache.onFetchResult(KEY, 'far', 'corrupt', 300)
  step(me, timers)
  me.cache.onFetchHeader(KEY, 'busy', found(record), 350)
  me.cache.onFetchResult(KEY, 'busy', 'ok', 400)
  step(me, timers)
  // near's claim stays (it may come back), far's went with its corrupt bytes, busy's is the hit
  t.like(me.cache.stats(), { hits: 1, misses: 0, corrupt: 1, attempts: 3, providerClaims: 2, heldRecords: 1, lookupsInFlight: 0 })
})

test('the memory of misses stays bounded, oldest first', t => {
  const negative = new NegativeCache(3000, 100)
  for (let n = 0; n < 101; n++) negative.remember(gradleKey(n), n)
  t.is(negative.size, 90, 'trimmed to 90% in one pass')
  t.false(negative.has(gradleKey(10), 200), 'among the oldest')
  t.true(negative.has(gradleKey(11), 200))
  t.true(negative.has(gradleKey(100), 200))
  t.false(negative.has(gradleKey(100), 3100), 'expired')
})
