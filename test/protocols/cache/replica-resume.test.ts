import test from 'ava'
import {
  chooseReplicas, decodeSavedReplications, encodeSavedReplications, recordProof, replicationsToResume, SavedReplicationsFormatError, TrustPolicy
} from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, SavedReplication, SignedRecord } from '../../../protocols/cache/index.js'
import type { StoredEntry } from '../../../protocols/cache/stored-record.js'
import { Timers, gradleKey, makeNode, only, recordBy, sha256Of, step } from './helpers.js'
import type { TestNode } from './helpers.js'

const PEERS = ['a', 'b', 'c', 'd']
const R2: CacheConfigOverrides = { replication: { replicas: 2 } }

/** Entry `n` PUT at `node`: its signed record, as the store keeps it with the entry. */
function put (node: TestNode, n: number, now: number): SignedRecord {
  const record = node.cache.localPut({ gradleKey: gradleKey(n), sha256: sha256Of(`blob ${n}`), size: 100, time: n }, now)
  if (record === undefined) throw new Error('own PUTs are announced')
  return record
}

function stored (record: SignedRecord): StoredEntry {
  return { key: record.gradleKey, sha256: record.sha256, size: record.size, producer: record.producer, signature: recordProof(record) }
}

/** Keys `node` pushes, with their targets, as its timers fire from `from` to `until`, a second at a time. */
function pushesUntil (node: TestNode, timers: Timers, from: number, until: number, stepMs = 1000): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = []
  for (let now = from; now <= until; now += stepMs) {
    timers.fireDue(node.cache, now)
    for (const push of only(step(node, timers), 'push')) out.push([push.record.gradleKey, [...push.to]])
  }
  return out
}

/** `node`'s next run: the same peer id, a new process (nothing in memory), the `saved` entries resumed from `held`. */
function restart (config: CacheConfigOverrides, saved: readonly SavedReplication[], held: readonly StoredEntry[]): { node: TestNode, timers: Timers } {
  const node = makeNode('me', [], { config })
  const timers = new Timers()
  node.cache.start(0)
  node.cache.resumeReplications(decodeSavedReplications(encodeSavedReplications(saved)), new Map(held.map(e => [e.key, e])), 0)
  step(node, timers)
  return { node, timers }
}

test('a restarted node offers its entries not yet placed again once peers come up; those its store let go or replaced are not', t => {
  const before = makeNode('me', [], { config: R2 })
  before.cache.start(0)
  const [one, two, three] = [put(before, 1, 10), put(before, 2, 10), put(before, 3, 10)]
  before.cache.localEvicted(gradleKey(2))
  const saved = before.cache.savedReplications()
  t.deepEqual(saved.map(s => s.key), [gradleKey(1), gradleKey(3)], 'an entry the store let go is not saved')
  const other = { ...stored(three), sha256: sha256Of('PUT again with other bytes') }
  const missing = { key: gradleKey(9), sha256: sha256Of('blob 9'), offers: 0 } // evicted while the node was down
  const { node, timers } = restart(R2, [...saved, missing], [stored(one), stored(two), other])
  t.is(node.cache.stats().replicaBacklog, 1, 'only the entry still held with the same bytes')
  for (const peer of PEERS) {
    node.peers.alive.add(peer)
    node.cache.onPeerUp(peer, 1000)
  }
  t.deepEqual(pushesUntil(node, timers, 1000, 10_000), [[gradleKey(1), chooseReplicas(gradleKey(1), PEERS, 2)]])
})

test('a resumed entry keeps its offers: given up once they reach maxOffers in all', t => {
  const config = { ...R2, replicaRetry: { maxOffers: 3 } }
  const before = makeNode('me', [], { config })
  before.cache.start(0)
  const [one, two] = [put(before, 1, 10), put(before, 2, 10)]
  const saved = [{ key: one.gradleKey, sha256: one.sha256, offers: 2 }, { key: two.gradleKey, sha256: two.sha256, offers: 3 }]
  const { node, timers } = restart(config, saved, [stored(one), stored(two)])
  t.is(node.cache.stats().replicaBacklog, 1, 'the entry out of offers is not resumed')
  node.peers.alive.add('a')
  node.cache.onPeerUp('a', 1000)
  t.deepEqual(pushesUntil(node, timers, 1000, 24 * 60 * 60 * 1000, 10_000).map(([key]) => key), [gradleKey(1)], 'its third offer, its last')
  t.like(node.cache.stats(), { replicaBacklog: 0, replicaBacklogDropped: 1 })
})

test('a node restarted to not announce its own PUTs does not resume their replication either', t => {
  const before = makeNode('me', [], { config: R2 })
  before.cache.start(0)
  const one = put(before, 1, 10)
  const trust = new TrustPolicy({ producers: { mode: 'any-member' }, submitters: { mode: 'any-member' }, announceOwnPuts: false })
  const node = makeNode('me', [], { config: R2, trust })
  node.cache.start(0)
  node.cache.resumeReplications(before.cache.savedReplications(), new Map([[one.gradleKey, stored(one)]]), 0)
  t.is(node.cache.stats().replicaBacklog, 0)
})

test('saved offers change as the backlog does: an offer made counts, a confirmed entry leaves', t => {
  const node = makeNode('me', PEERS, { config: R2 })
  node.cache.start(0)
  const changes = node.cache.savedReplicationsChanges
  const record = put(node, 1, 10)
  t.true(node.cache.savedReplicationsChanges > changes)
  t.deepEqual(node.cache.savedReplications(), [{ key: record.gradleKey, sha256: record.sha256, offers: 1 }])
  for (const peer of chooseReplicas(gradleKey(1), PEERS, 2)) node.cache.onPushResult(gradleKey(1), peer, 'pushed')
  t.deepEqual(node.cache.savedReplications(), [])
})

test('only own entries with the same bytes, within the push size, each key once, the newest maxEntries are resumed', t => {
  const own = [1, 2, 3, 4].map(n => recordBy('me', n))
  const theirs = recordBy('other', 5)
  const saved = [...own, theirs].map(r => ({ key: r.gradleKey, sha256: r.sha256, offers: 0 }))
  const held = new Map([...own, theirs].map(r => [r.gradleKey, stored(r)]))
  const limits = { self: 'me', maxOffers: 12, maxEntries: 2, maxPushBytes: 1003 }
  const resumed = replicationsToResume([...saved, { ...saved[0]!, offers: 4 }], held, limits)
  t.deepEqual(resumed.map(r => [r.record.gradleKey, r.offers]), [[gradleKey(3), 0], [gradleKey(1), 4]],
    'entry 4 is over the push size, 5 is another producer\'s, 1 counts once (its last), 2 is past maxEntries')
})

test('a saved backlog that is not whole is refused as a whole', t => {
  const text = encodeSavedReplications([{ key: gradleKey(1), sha256: sha256Of('x'), offers: 1 }])
  t.deepEqual(decodeSavedReplications(text), [{ key: gradleKey(1), sha256: sha256Of('x'), offers: 1 }])
  for (const bad of ['', text.slice(0, text.length - 8), '[]', '{"version":2,"entries":[]}', '{"version":1,"entries":[["zz","x",1]]}',
    `{"version":1,"entries":[["${gradleKey(1)}","${sha256Of('x')}",-1]]}`]) {
    t.throws(() => decodeSavedReplications(bad), { instanceOf: SavedReplicationsFormatError }, bad)
  }
})
