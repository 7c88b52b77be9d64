import test from 'ava'
import { CacheProtocol } from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, CacheProtocolDeps, SignedRecord } from '../../../protocols/cache/index.js'
import { ReplicaPulls } from '../../../sim/cache/replica-pulls.js'
import { formatCacheSummary, runCacheSim } from '../../../sim/cache/run.js'

/** A lookup that ignores the GET's deadline and waits 20 s for providers. */
class PatientLookup extends CacheProtocol {
  constructor (deps: CacheProtocolDeps, overrides: CacheConfigOverrides) {
    super(deps, overrides)
  }

  override get (key: string, now: number): void {
    super.get(key, now, now + 20_000)
  }
}

test('a driver that stores fetched bytes without checking their SHA-256 is caught serving corrupt blobs', t => {
  const healthy = runCacheSim({ scenario: 'cache-corrupt-provider', seed: 1 })
  t.deepEqual(healthy.violations, [], 'seed 1: the verifying driver passes')
  const broken = runCacheSim({ scenario: 'cache-corrupt-provider', seed: 1, verifyFetches: false })
  t.true(broken.violations.some(v => v.invariant === 'no-corrupt-served'), `seed 1: ${JSON.stringify(broken.violations.slice(0, 2))}`)
})

test('a run that breaks an invariant says so, with the seed and the command that replays it', t => {
  const broken = runCacheSim({ scenario: 'cache-corrupt-provider', seed: 1, verifyFetches: false })
  const summary = formatCacheSummary(broken)
  t.false(broken.ok)
  t.regex(summary, /INVARIANTS VIOLATED \(\d+\) with seed 1; replay: gmesh sim --scenario cache-corrupt-provider --nodes 24 --seed 1/)
  t.regex(summary, /no-corrupt-served/)
})

test('a lookup that outlives the GET deadline is caught while a partition hides providers', t => {
  const broken = runCacheSim({ scenario: 'cache-partition', seed: 1, createCache: (deps, overrides) => new PatientLookup(deps, overrides) })
  t.true(broken.violations.some(v => v.invariant === 'answer-within-deadline'), `seed 1: ${JSON.stringify(broken.violations.slice(0, 2))}`)
})

// Index sync after the partition heals now lifts remembered misses of the keys it names, and so does a provider coming
// back up, so the broken cache ignores both: a miss remembered for 10 minutes that nothing lifts.
test('a negative cache that outlasts the partition and is never lifted is caught missing entries with live providers', t => {
  const stubborn = (deps: CacheProtocolDeps, overrides: CacheConfigOverrides): CacheProtocol => {
    const cache = new CacheProtocol(deps, overrides)
    cache.lookup.negative.forget = () => {}
    cache.lookup.negative.forgetProvided = () => {}
    return cache
  }
  const broken = runCacheSim({ scenario: 'cache-partition', seed: 1, createCache: stubborn, cacheConfig: { announceHeld: false, lookup: { negativeTtlMs: 10 * 60_000 } } })
  t.true(broken.violations.some(v => v.invariant === 'live-provider-found'), `seed 1: ${JSON.stringify(broken.violations.slice(0, 2))}`)
})

test('nodes that never index announcements are caught: entries with live providers are not found', t => {
  const deaf = (deps: CacheProtocolDeps, overrides: CacheConfigOverrides): CacheProtocol => {
    const cache = new CacheProtocol(deps, overrides)
    const onMessage = cache.onMessage.bind(cache)
    cache.onMessage = (from, via, bytes, now) => via === cache.topics[0] ? 'ignore' : onMessage(from, via, bytes, now)
    return cache
  }
  const broken = runCacheSim({ scenario: 'cache-steady', seed: 2, createCache: deaf })
  t.true(broken.violations.some(v => v.invariant === 'live-provider-found'), `seed 2: ${JSON.stringify(broken.violations.slice(0, 2))}`)
})

test('a store that damages a replica after checking it is caught when a local GET serves it', t => {
  type Store = (this: ReplicaPulls, node: number, offered: SignedRecord, body: Uint8Array) => void
  type Host = { node: (i: number) => { store: Map<string, { record: SignedRecord, bytes: Uint8Array }> } }
  const pulls = ReplicaPulls.prototype as unknown as { store: Store }
  const store = pulls.store
  pulls.store = function (this: ReplicaPulls, node, offered, body) {
    store.call(this, node, offered, body)
    // a bad write path: what the store keeps is not the bytes it checked (stored bytes are shared, so it writes a copy)
    const damaged = body.slice()
    damaged[0]! ^= 0xff
    ;(this as unknown as { host: Host }).host.node(node).store.set(offered.gradleKey, { record: offered, bytes: damaged })
  }
  try {
    const broken = runCacheSim({ scenario: 'cache-steady', seed: 2 })
    t.true(broken.localHits > 0 && broken.replicasStored > 0, 'seed 2 has replicas and local hits')
    t.true(broken.violations.some(v => v.invariant === 'no-corrupt-served'), `seed 2: ${JSON.stringify(broken.violations.slice(0, 2))}`)
  } finally {
    pulls.store = store
  }
})
