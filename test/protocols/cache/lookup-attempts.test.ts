import test from 'ava'
import { CACHE_TOPIC, DEFAULT_LOOKUP, announceCodec, casFrameCodec, signRecord } from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, SignedRecord } from '../../../protocols/cache/index.js'
import { gradleKey, makeNode, only, recordBy, sha256Of, signerFor, step, Timers } from './helpers.js'
import type { TestNode } from './helpers.js'

const KEY = gradleKey(1)
const MiB = 1024 * 1024

function found (record: SignedRecord): Uint8Array {
  return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
}

/** `me` knows two providers of each record: near (5 ms) and far (80 ms). */
function meshWithTwoProviders (records: SignedRecord[], config: CacheConfigOverrides = {}): { me: TestNode, timers: Timers } {
  const me = makeNode('me', ['near', 'far'], { config })
  me.peers.rtts.set('near', 5).set('far', 80)
  me.cache.start(0)
  for (const peer of ['far', 'near']) me.cache.onMessage(peer, CACHE_TOPIC, announceCodec.encode({ type: 'announce', records }), 0)
  const timers = new Timers()
  timers.apply(me.cache.drainEffects())
  return { me, timers }
}

/** The timers of `key` among those that fired (the index sync has its own). */
function timersOf (key: string, fired: string[]): string[] {
  return fired.filter(timer => timer.endsWith(key))
}

/** An entry of `size` bytes produced by ci. */
function entryOf (n: number, size: number): SignedRecord {
  return signRecord({ gradleKey: gradleKey(n), sha256: sha256Of(`entry ${n}`), size, producer: 'ci', time: 1_700_000_000_000 + n }, signerFor('ci'))
}

/** `me` GETs KEY (to answer by `answerBy`) and accepts near's header for an entry of `size` at 120 ms (near and far also hold key 2). */
function bodyFromNear (size: number, answerBy: number): { me: TestNode, timers: Timers, record: SignedRecord } {
  const record = entryOf(1, size)
  const { me, timers } = meshWithTwoProviders([record, entryOf(2, size)])
  me.cache.get(KEY, 100, answerBy)
  step(me, timers)
  me.cache.onFetchHeader(KEY, 'near', found(record), 120)
  step(me, timers)
  return { me, timers, record }
}

test('a provider that does not answer its header in time is abandoned for the next, without a penalty', t => {
  const { me, timers } = meshWithTwoProviders([recordBy('ci', 1)])
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  t.is(timers.at.get(`cache/attempt/${KEY}`), 850, 'one provider gets 750 ms to answer its header')
  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 850)), [`cache/attempt/${KEY}`])
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'cancelFetch'), [{ kind: 'cancelFetch', key: KEY, peer: 'near', attempt: 1 }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'])
  t.deepEqual(only(commands, 'penalise'), [], 'a late header is not misbehaviour')
})

test('a body that keeps moving and can finish may take longer than the GET deadline', t => {
  const { me, timers, record } = bodyFromNear(MiB, 1000)
  t.is(timers.at.get(`cache/attempt/${KEY}`), undefined, 'streaming started: no header timeout')
  // 100 KiB every 2 s: slow, but above the floor of 64 KiB per 3 s, and 1 MiB is in after 22 s
  let at = 2120
  for (let bytes = 100 * 1024; bytes < MiB; at += 2000, bytes += 100 * 1024) {
    me.cache.onFetchProgress(KEY, 'near', bytes, at)
    t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, at)), [], `still moving at ${at} ms`)
    t.deepEqual(only(step(me, timers), 'cancelFetch'), [], `still expected in time at ${at} ms`)
  }
  me.cache.onFetchProgress(KEY, 'near', MiB, at)
  me.cache.onFetchResult(KEY, 'near', 'ok', at + 10)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'answer'), [{ kind: 'answer', key: KEY, outcome: { hit: true, peer: 'near', record } }])
  t.deepEqual(only(commands, 'penalise'), [], 'a slow body that came in is not a stall')
})

test('a body above the rate floor but too slow to finish in time is given up early, not at the deadline', t => {
  const { me, timers } = bodyFromNear(10 * MiB, 1000)
  // 160 KiB/s: 10 MiB would take 64 s, past the 25 s a body gets; at twice that rate, 32 s
  me.cache.onFetchProgress(KEY, 'near', 160 * 1024, 1120)
  t.deepEqual(only(step(me, timers), 'cancelFetch'), [], 'one second is too soon to judge a rate')
  me.cache.onFetchProgress(KEY, 'near', 480 * 1024, 3120)
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'cancelFetch'), [{ kind: 'cancelFetch', key: KEY, peer: 'near', attempt: 1 }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'], 'the next provider gets the time the slow body would have taken')
  t.like(me.cache.stats(), { stalledBodies: 1 })
  t.deepEqual(only(commands, 'penalise'), [], 'the slow link may be this node\'s own: near is not penalised')
  me.cache.get(gradleKey(2), 3200, 5200)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['near'], 'and still serves other keys')
})

test('a body that slows down near its end but keeps moving holds the GET until the body timeout, then misses', t => {
  const { me, timers } = bodyFromNear(10 * MiB, 1000)
  me.cache.onFetchProgress(KEY, 'near', 9 * MiB, 500)
  step(me, timers)
  // then 64 KiB per 2.9 s: above the floor, and its average rate keeps the rest in reach until the end
  for (let at = 3400, bytes = 9 * MiB + 64 * 1024; at < 120 + DEFAULT_LOOKUP.bodyTimeoutMs; at += 2900, bytes += 64 * 1024) {
    me.cache.onFetchProgress(KEY, 'near', bytes, at)
    t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, at)), [], `still moving at ${at} ms`)
    t.deepEqual(only(step(me, timers), 'cancelFetch'), [], `still expected in time at ${at} ms`)
  }
  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 120 + DEFAULT_LOOKUP.bodyTimeoutMs)), [`cache/lookup/${KEY}`])
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'answer'), [{ kind: 'answer', key: KEY, outcome: { hit: false, reason: 'deadline' } }])
  t.deepEqual(only(commands, 'cancelFetch'), [{ kind: 'cancelFetch', key: KEY, peer: 'near', attempt: 1 }])
  t.deepEqual(only(commands, 'penalise'), [], 'a body that moved to the end is not a stall')
  me.cache.onFetchResult(KEY, 'near', 'ok', 26_000)
  t.deepEqual(step(me, timers), [], 'a result after the answer changes nothing')
})

test('a dripping body (below the rate floor) is left to the stall watch, which penalises its provider, though its last drop comes just as the watch is due', t => {
  const { me, timers } = bodyFromNear(2 * MiB, 2100)
  me.cache.onFetchProgress(KEY, 'near', 1, 370)
  me.cache.onFetchProgress(KEY, 'near', 3, 3120) // a byte a second: far too slow to finish, and a dripper
  t.deepEqual(only(step(me, timers), 'cancelFetch'), [], 'not given up as merely slow, without a penalty')
  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 3120)), [`cache/body-stall/${KEY}`])
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'stalled-body' }])
  t.deepEqual(only(commands, 'fetch').map(f => f.peer), ['far'])
})

test('a body that stalls after its header is abandoned for the next provider, which the GET still waits for', t => {
  const { me, timers } = meshWithTwoProviders([entryOf(1, 2 * MiB), entryOf(2, 2 * MiB)])
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  t.like(me.cache.onFetchHeader(KEY, 'near', found(entryOf(1, 2 * MiB)), 120), { accept: true })
  step(me, timers)
  me.cache.onFetchProgress(KEY, 'near', 1, 370) // a byte, then nothing more

  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 3120)), [`cache/body-stall/${KEY}`], 'no 64 KiB within 3 s of the header')
  const commands = step(me, timers)
  t.deepEqual(only(commands, 'cancelFetch'), [{ kind: 'cancelFetch', key: KEY, peer: 'near', attempt: 1 }])
  t.deepEqual(only(commands, 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'stalled-body' }])
  t.deepEqual(only(commands, 'fetch').map(f => [f.peer, f.deadline]), [['far', 5100]], 'the 3 s the stall took do not count against the GET')
  t.deepEqual(only(commands, 'answer'), [])

  me.cache.onFetchHeader(KEY, 'far', found(entryOf(1, 2 * MiB)), 3300)
  me.cache.onFetchProgress(KEY, 'far', 2 * MiB, 3400)
  me.cache.onFetchResult(KEY, 'far', 'ok', 3450)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: true, peer: 'far', record: entryOf(1, 2 * MiB) })
  me.cache.onFetchResult(KEY, 'near', 'timeout', 3460)
  t.like(me.cache.stats(), { hits: 1, misses: 0, stalledBodies: 1 })

  me.cache.get(gradleKey(2), 4000, 6000)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['far'], 'the next GET skips near, though it is nearer')
  t.true(me.cache.lookup.isPenalised('near', 3120 + DEFAULT_LOOKUP.stallPenaltyMs - 1))
  t.false(me.cache.lookup.isPenalised('near', 3120 + DEFAULT_LOOKUP.stallPenaltyMs), 'slow is not malicious: asked again a minute later')
})

test('a body that slows to a trickle is abandoned; one whose bytes are all in is not, however long the store takes', t => {
  const { me, timers, record } = bodyFromNear(10 * MiB, 2100)
  me.cache.onFetchProgress(KEY, 'near', 4 * MiB, 400)
  me.cache.onFetchProgress(KEY, 'near', 8 * MiB, 700)
  step(me, timers)
  t.is(timers.at.get(`cache/body-stall/${KEY}`), 3700, 'the stall watch starts over with each 64 KiB')
  me.cache.onFetchProgress(KEY, 'near', 8 * MiB + 40_000, 3000)
  me.cache.onFetchProgress(KEY, 'near', 8 * MiB + 60_000, 3600)
  step(me, timers)
  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 3700)), [`cache/body-stall/${KEY}`], '60 KB in 3 s is below the floor')
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['far'])

  me.cache.onFetchHeader(KEY, 'far', found(record), 3800)
  me.cache.onFetchProgress(KEY, 'far', 10 * MiB, 4000)
  step(me, timers)
  t.is(timers.at.get(`cache/body-stall/${KEY}`), undefined, 'every byte is in: only the store is left')
  me.cache.onFetchResult(KEY, 'far', 'ok', 9000)
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: true, peer: 'far', record })
})

test('after a stall the next provider gets what is left of the GET\'s 28 s, no more', t => {
  const record = entryOf(1, 10 * MiB)
  const { me, timers } = meshWithTwoProviders([record], { lookup: { maxGetMs: 5000 } })
  me.cache.get(KEY, 100, 2100)
  step(me, timers)
  me.cache.onFetchHeader(KEY, 'near', found(record), 120)
  me.cache.onFetchProgress(KEY, 'near', MiB, 1000)
  step(me, timers)
  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 4000)), [`cache/body-stall/${KEY}`])
  t.deepEqual(only(step(me, timers), 'fetch').map(f => [f.peer, f.deadline]), [['far', 5100]], 'the GET ends 5 s after it started')
  me.cache.onFetchHeader(KEY, 'far', found(record), 4200)
  step(me, timers)
  t.deepEqual(timersOf(KEY, timers.fireDue(me.cache, 5100)), [`cache/lookup/${KEY}`], 'far\'s body gets no 25 s either')
  t.deepEqual(only(step(me, timers), 'answer')[0]?.outcome, { hit: false, reason: 'deadline' })
})

test('a stall does not shorten a longer penalty the provider earned meanwhile', t => {
  const records = [entryOf(1, 2 * MiB), entryOf(2, 2 * MiB)]
  const { me, timers } = meshWithTwoProviders(records)
  me.cache.get(gradleKey(1), 100, 2100)
  me.cache.get(gradleKey(2), 100, 2100)
  t.deepEqual(only(step(me, timers), 'fetch').map(f => f.peer), ['near', 'near'])
  me.cache.onFetchHeader(gradleKey(1), 'near', found(records[0] as SignedRecord), 120)
  me.cache.onFetchHeader(gradleKey(2), 'near', found(records[1] as SignedRecord), 120)
  me.cache.onFetchResult(gradleKey(1), 'near', 'corrupt', 500)
  step(me, timers)
  t.true(timers.fireDue(me.cache, 3120).includes(`cache/body-stall/${gradleKey(2)}`))
  t.deepEqual(only(step(me, timers), 'penalise'), [{ kind: 'penalise', peer: 'near', reason: 'stalled-body' }])
  t.true(me.cache.lookup.isPenalised('near', 500 + DEFAULT_LOOKUP.penaltyMs - 1), 'still benched for its corrupt bytes')
})

test('a fetch called off that ends late is not taken for the next fetch of its key from the same provider', t => {
  const me = makeNode('me', ['near'])
  me.cache.start(0)
  const record = recordBy('ci', 1)
  me.cache.onMessage('near', CACHE_TOPIC, announceCodec.encode({ type: 'announce', records: [record] }), 0)
  const timers = new Timers()
  timers.apply(me.cache.drainEffects())
  me.cache.get(KEY, 100, 2100)
  const [first] = only(step(me, timers), 'fetch')
  timers.fireDue(me.cache, 850) // near's header is late: called off, and nobody else holds the key
  const ended = step(me, timers)
  t.deepEqual(only(ended, 'cancelFetch'), [{ kind: 'cancelFetch', key: KEY, peer: 'near', attempt: first?.attempt ?? -1 }])
  t.like(only(ended, 'answer'), [{ outcome: { hit: false } }])

  me.cache.get(KEY, 860, 2860) // the next GET asks near again, while the driver's first fetch still winds down
  const [second] = only(step(me, timers), 'fetch')
  t.is(second?.peer, 'near')
  t.not(second?.attempt, first?.attempt)
  // the first fetch's late header and end, as a driver reports them once its abort went through
  t.deepEqual(me.cache.onFetchHeader(KEY, 'near', found(record), 865, first?.attempt), { accept: false })
  me.cache.onFetchProgress(KEY, 'near', record.size, 866, first?.attempt)
  me.cache.onFetchResult(KEY, 'near', 'timeout', 867, first?.attempt)
  t.deepEqual(step(me, timers), [], 'the second lookup still waits on its own fetch')

  t.like(me.cache.onFetchHeader(KEY, 'near', found(record), 880, second?.attempt), { accept: true })
  me.cache.onFetchProgress(KEY, 'near', record.size, 890, second?.attempt)
  me.cache.onFetchResult(KEY, 'near', 'ok', 900, second?.attempt)
  t.like(only(step(me, timers), 'answer'), [{ outcome: { hit: true, peer: 'near' } }])
})
