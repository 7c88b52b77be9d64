import test from 'ava'
import { REPLICATE_TIMER } from '../../../protocols/cache/replicator.js'
import { DEFAULT_REPLICA_RETRY } from '../../../protocols/cache/replica-backlog.js'
import { chooseReplicas } from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, SignedRecord } from '../../../protocols/cache/index.js'
import { Timers, gradleKey, makeNode, only, sha256Of, step } from './helpers.js'
import type { TestNode } from './helpers.js'

const PEERS = ['a', 'b', 'c', 'd']
const R2: CacheConfigOverrides = { replication: { replicas: 2 } }

function put (node: TestNode, n: number, now: number): void {
  node.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`blob ${n}`), size: 100, time: n }, now)
}

function peerUp (node: TestNode, peer: string, now: number): void {
  node.peers.alive.add(peer)
  node.cache.onPeerUp(peer, now)
}

/** Pushes `node` makes as `timers` fire up to `until` (stepping `stepMs` at a time), as [key, to] pairs. */
function pushesUntil (node: TestNode, timers: Timers, from: number, until: number, stepMs = 1000): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = []
  for (let now = from; now <= until; now += stepMs) {
    timers.fireDue(node.cache, now)
    for (const push of only(step(node, timers), 'push')) out.push([push.record.gradleKey, [...push.to]])
  }
  return out
}

test('an entry PUT before any peer was known is pushed to its replicas soon after peers come up', t => {
  const me = makeNode('me', [], { config: R2 })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 1, 10)
  t.deepEqual(only(step(me, timers), 'push'), [], 'alone: nowhere to push')
  t.is(me.cache.stats().replicaBacklog, 1)
  for (const peer of PEERS) peerUp(me, peer, 5000)
  t.deepEqual(only(step(me, timers), 'push'), [], 'not at once: peers coming up together make one round')
  const pushes = pushesUntil(me, timers, 5000, 10_000)
  t.deepEqual(pushes, [[gradleKey(1), chooseReplicas(gradleKey(1), PEERS, 2)]], 'one round, after peerUpDelayMs, to the two replicas')
})

test('an offer that failed is made again later, only to the replicas that did not confirm; R confirmations end it', t => {
  const me = makeNode('me', PEERS, { config: R2 })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 2, 10)
  const [first] = only(step(me, timers), 'push')
  const [kept, lost] = first?.to ?? []
  if (kept === undefined || lost === undefined) return t.fail('two replicas')
  me.cache.onPushResult(gradleKey(2), kept, 'pushed')
  me.cache.onPushResult(gradleKey(2), lost, 'failed')
  t.deepEqual(pushesUntil(me, timers, 1000, 60_000), [], 'not before retryBaseMs')
  t.deepEqual(pushesUntil(me, timers, 61_000, 150_000), [[gradleKey(2), [lost]]], 'again, to the one that failed')
  me.cache.onPushResult(gradleKey(2), lost, 'pushed')
  t.is(me.cache.stats().replicaBacklog, 0, 'two replicas confirmed it')
  t.deepEqual(pushesUntil(me, timers, 151_000, 4 * 60 * 60 * 1000, 30_000), [])
})

test('an entry two other peers are known to hold is done without offering it again', t => {
  const me = makeNode('me', [], { config: R2 })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 3, 10)
  step(me, timers)
  const [x, y] = chooseReplicas(gradleKey(3), PEERS, 2)
  for (const peer of PEERS) peerUp(me, peer, 100)
  // replicas that stored the entry (pushed by an earlier run of this node, say) announced it
  for (const peer of [x, y]) me.cache.index.add(peer as string, ownRecord(me, 3), 100)
  t.deepEqual(pushesUntil(me, timers, 100, 10_000), [])
  t.is(me.cache.stats().replicaBacklog, 0)
})

test('a node with many own entries and no peers remembers a bounded number and offers a bounded number per round', t => {
  const me = makeNode('me', [], { config: { ...R2, replicaRetry: { maxEntries: 100, maxPerRound: 8, intervalMs: 30_000 } } })
  const timers = new Timers()
  me.cache.start(0)
  for (let n = 1; n <= 10_000; n++) put(me, n, 10)
  t.deepEqual(only(step(me, timers), 'push'), [])
  t.like(me.cache.stats(), { replicaBacklog: 100, replicaBacklogDropped: 9900 }, 'the newest 100 are kept')
  t.deepEqual(pushesUntil(me, timers, 1000, 10 * 60 * 1000), [], 'no peers: nothing offered, however long')
  peerUp(me, 'a', 600_000)
  const rounds = [pushesUntil(me, timers, 600_000, 605_000), pushesUntil(me, timers, 606_000, 635_000)]
  t.deepEqual(rounds.map(r => r.length), [8, 8], 'a round offers maxPerRound entries, the next round the next ones')
  t.true(rounds.flat().every(([key]) => parseInt(key, 16) > 9900), 'only the entries kept')
  t.is(new Set(rounds.flat().map(([key]) => key)).size, 16)
})

test('an entry the store let go is not offered again', t => {
  const me = makeNode('me', [], { config: R2 })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 4, 10)
  step(me, timers)
  me.cache.localEvicted(gradleKey(4))
  t.is(me.cache.stats().replicaBacklog, 0)
  for (const peer of PEERS) peerUp(me, peer, 100)
  t.deepEqual(pushesUntil(me, timers, 100, 60_000), [])
})

test('an entry is given up after maxOffers offers; without replication there is no replicate timer', t => {
  const me = makeNode('me', PEERS, { config: { ...R2, replicaRetry: { maxOffers: 3 } } })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 5, 10)
  t.is(only(step(me, timers), 'push').length, 1)
  const again = pushesUntil(me, timers, 1000, 24 * 60 * 60 * 1000, 10_000)
  t.is(again.length, 2, 'offered three times in all')
  t.like(me.cache.stats(), { replicaBacklog: 0, replicaBacklogDropped: 1 })
  const off = makeNode('me', PEERS)
  const offTimers = new Timers()
  off.cache.start(0)
  step(off, offTimers)
  t.false(offTimers.at.has(REPLICATE_TIMER))
})

function ownRecord (node: TestNode, n: number): SignedRecord {
  const record = node.cache.signLocal({ gradleKey: gradleKey(n), sha256: sha256Of(`blob ${n}`), size: 100, time: n })
  if (record === undefined) throw new Error('own PUTs are announced')
  return record
}

test('with fewer other peers than R, an entry every peer confirmed is parked (not given up, not offered) until a peer comes up', t => {
  const me = makeNode('me', ['a'], { config: { ...R2, replicaRetry: { maxEntries: 100, maxPerRound: 32, intervalMs: 30_000 } } })
  const timers = new Timers()
  me.cache.start(0)
  const confirmAll = (from: number, to: number, now: number): void => {
    for (let n = from; n <= to; n++) put(me, n, now)
    const pushes = only(step(me, timers), 'push')
    t.is(pushes.length, to - from + 1, 'each PUT offered to the only peer')
    for (const push of pushes) for (const peer of push.to) me.cache.onPushResult(push.record.gradleKey, peer, 'pushed')
  }
  confirmAll(1, 100, 10)
  t.deepEqual(pushesUntil(me, timers, 1000, 6 * 3600_000, 30_000), [], 'not offered again: the only peer holds them all')
  t.like(me.cache.stats(), { replicaBacklog: 0, replicaParked: 100, replicaBacklogDropped: 0 }, 'parked, not waiting, none given up')
  confirmAll(101, 150, 6 * 3600_000 + 10)
  t.deepEqual(pushesUntil(me, timers, 6 * 3600_000 + 1000, 7 * 3600_000, 30_000), [])
  t.like(me.cache.stats(), { replicaBacklog: 0, replicaParked: 100, replicaBacklogDropped: 0 }, 'newer PUTs push out parked entries, not counted as given up')
  peerUp(me, 'b', 7 * 3600_000)
  const offered = pushesUntil(me, timers, 7 * 3600_000, 7 * 3600_000 + 120_000)
  t.is(new Set(offered.map(([key]) => key)).size, 100, 'the parked entries are offered again once a peer comes up (maxPerRound a round)')
  t.true(offered.every(([key, to]) => parseInt(key, 16) > 50 && to.length === 1 && to[0] === 'b'), 'the kept ones, to the new peer only')
})

// failed before parked entries were looked at again without a peer coming up: the entry stayed parked for good
test('a parked entry whose only holder dropped it is offered to that peer again within maxRetryMs, though no peer came up', t => {
  const me = makeNode('me', [], { config: R2 })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 6, 10)
  step(me, timers)
  me.cache.index.add('a', ownRecord(me, 6), 100)
  peerUp(me, 'a', 100)
  t.deepEqual(pushesUntil(me, timers, 100, 60_000), [], 'the only other peer holds it: nothing to offer')
  t.like(me.cache.stats(), { replicaBacklog: 0, replicaParked: 1 })
  me.cache.index.remove(gradleKey(6), 'a') // 'a' evicted it (its "missing" answer, or its claim lapsed)
  const again = pushesUntil(me, timers, 61_000, 61_000 + DEFAULT_REPLICA_RETRY.maxRetryMs + 60_000, 30_000)
  t.deepEqual(again[0], [gradleKey(6), ['a']], 'looked at again on the slow clock, and offered to the peer that lost it')
})

test('an entry whose offers are still under way (a replica pulling it slowly) is not offered to those replicas again, nor spends an offer', t => {
  const me = makeNode('me', PEERS, { config: R2 })
  const timers = new Timers()
  me.cache.start(0)
  put(me, 4, 10)
  const [first] = only(step(me, timers), 'push')
  const [slow, lost] = first?.to ?? []
  if (slow === undefined || lost === undefined) return t.fail('two replicas')
  // an offer of 100 bytes is under way for at most its 4 tries of offerDeadlineMs (105 s) and their waits: ~7 min
  t.deepEqual(pushesUntil(me, timers, 1000, 6 * 60 * 1000, 30_000), [], 'both still pulling: the rounds at 2 and 6 min offer nothing')
  me.cache.onPushResult(gradleKey(4), lost, 'failed')
  t.deepEqual(pushesUntil(me, timers, 6 * 60 * 1000 + 30_000, 7 * 60 * 1000, 30_000), [[gradleKey(4), [lost]]], 'once one failed, to that one alone, at the next round')
  me.cache.onPushResult(gradleKey(4), slow, 'pushed')
  me.cache.onPushResult(gradleKey(4), lost, 'pushed')
  t.is(me.cache.stats().replicaBacklog, 0, 'and it is done once both answered')
})
