import test from 'ava'
import { chooseReplicas, pushTargets } from '../../../protocols/cache/index.js'
import { gradleKey } from './helpers.js'

/** Peer ids shaped like libp2p's Ed25519 ids. */
function peerIds (count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `12D3KooW${(from + i).toString(36).padStart(4, 'a')}Qx${((from + i) * 7919).toString(36)}`)
}

const KEYS = Array.from({ length: 1000 }, (_, i) => gradleKey(0x5eed0000 + i * 7))

function assignments (peers: readonly string[], replicas: number): Map<string, string[]> {
  return new Map(KEYS.map(key => [key, chooseReplicas(key, peers, replicas)]))
}

test('a peer joining 20 takes over about 1/21 of 1,000 keys, and only those move', t => {
  const before = peerIds(20)
  const newcomer = peerIds(1, 20)[0] as string
  const a = assignments(before, 1)
  const b = assignments([...before, newcomer], 1)
  const moved = KEYS.filter(key => a.get(key)?.[0] !== b.get(key)?.[0])
  const fraction = moved.length / KEYS.length
  t.log(`primary replica: ${moved.length} of 1000 keys moved (${(fraction * 100).toFixed(1)}%, ideal ${(100 / 21).toFixed(1)}%)`)
  t.true(fraction > 0.02 && fraction < 0.09, `moved fraction ${fraction}`)
  t.true(moved.every(key => b.get(key)?.[0] === newcomer), 'every moved key moved to the newcomer')
})

test('with three replicas a join changes about 3/21 of the replica sets, one member each', t => {
  const before = peerIds(20)
  const newcomer = peerIds(1, 20)[0] as string
  const a = assignments(before, 3)
  const b = assignments([...before, newcomer], 3)
  const changed = KEYS.filter(key => a.get(key)?.join() !== b.get(key)?.join())
  t.log(`3 replicas: ${changed.length} of 1000 replica sets changed (ideal ${(3000 / 21).toFixed(0)})`)
  t.true(changed.length > 80 && changed.length < 220, `changed ${changed.length}`)
  for (const key of changed) {
    const old = new Set(a.get(key))
    const gained = (b.get(key) ?? []).filter(p => !old.has(p))
    t.deepEqual(gained, [newcomer], `key ${key} gained only the newcomer`)
  }
})

test('a peer leaving moves only the keys it held', t => {
  const peers = peerIds(20)
  const leaving = peers[5] as string
  const a = assignments(peers, 2)
  const b = assignments(peers.filter(p => p !== leaving), 2)
  const changed = KEYS.filter(key => a.get(key)?.join() !== b.get(key)?.join())
  t.true(changed.length > 0)
  t.true(changed.every(key => a.get(key)?.includes(leaving)), 'no key without the leaver changed')
  t.true(KEYS.filter(key => a.get(key)?.includes(leaving)).every(key => changed.includes(key)))
})

test('keys spread evenly and every node computes the same answer whatever the peer order', t => {
  const peers = peerIds(20)
  const counts = new Map<string, number>()
  for (const key of KEYS) {
    const primary = chooseReplicas(key, peers, 1)[0] as string
    counts.set(primary, (counts.get(primary) ?? 0) + 1)
  }
  const loads = [...counts.values()]
  t.log(`primaries per peer: min ${Math.min(...loads)}, max ${Math.max(...loads)}, mean 50`)
  t.is(counts.size, 20)
  t.true(Math.min(...loads) >= 20 && Math.max(...loads) <= 90)
  const reversed = [...peers].reverse()
  t.true(KEYS.every(key => chooseReplicas(key, reversed, 3).join() === chooseReplicas(key, peers, 3).join()))
})

test('a producer pushes to R other peers, skipping those already providing the entry', t => {
  const peers = peerIds(6)
  const self = peers[0] as string
  const key = gradleKey(1234)
  const config = { replicas: 2, acceptRank: 4, maxPushBytes: 1000 }
  const targets = pushTargets(key, self, peers, 10, new Set(), config)
  t.is(targets.length, 2)
  t.false(targets.includes(self))
  t.deepEqual(pushTargets(key, self, peers, 10, new Set([targets[0] as string]), config), [targets[1]])
  t.deepEqual(pushTargets(key, self, peers, 1001, new Set(), config), [], 'too large to push')
  t.deepEqual(pushTargets(key, self, peers, 10, new Set(), { ...config, replicas: 0 }), [], 'replication off')
})
