import test from 'ava'
import { CacheProtocol, OPEN_MESH_TRUST, TrustPolicy, announceCodec, decidePush, verifyRecord } from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, CacheProtocolDeps, PushDecision } from '../../../protocols/cache/index.js'
import { formatCacheSummary, runCacheSim } from '../../../sim/cache/run.js'
import type { CacheSimOptions, CacheSimResult } from '../../../sim/cache/run.js'

const SCENARIO = 'cache-forged-records'

function replay (r: CacheSimResult): string {
  return `seed ${r.seed}; replay: gmesh sim --scenario ${r.scenario} --nodes ${r.nodes} --seed ${r.seed}`
}

function forged (seed: number, options: Partial<CacheSimOptions> = {}): CacheSimResult {
  return runCacheSim({ scenario: SCENARIO, seed, ...options })
}

function caughtServingForgedBytes (r: CacheSimResult): boolean {
  return r.violations.some(v => v.invariant === 'no-corrupt-served')
}

/** A replica that keeps push offers from anyone: it checks signatures and ranks, but never asks its trust list. */
class TrustlessReplica extends CacheProtocol {
  constructor (private readonly pushDeps: CacheProtocolDeps, overrides: CacheConfigOverrides) {
    super(pushDeps, overrides)
  }

  override onPushHeader (from: string, header: Uint8Array, now: number): PushDecision {
    const { self, verify, peers } = this.pushDeps
    const isPenalised = (peer: string): boolean => this.lookup.isPenalised(peer, now)
    return decidePush({ self, verify, peers, trust: new TrustPolicy(OPEN_MESH_TRUST), replication: this.config.replication, isPenalised }, from, header)
  }
}

for (const seed of [1, 2, 3]) {
  test(`${SCENARIO} seed ${seed}: forged records are refused at every check and their bytes never served or held`, t => {
    const r = forged(seed)
    const f = r.forgery
    t.deepEqual(r.violations, [], replay(r))
    t.is(r.forgers, 3, replay(r))
    t.true(f.forged >= r.puts, `${replay(r)}: ${f.forged} records forged for ${r.puts} PUTs`)
    for (const [checkpoint, refused] of Object.entries(f.refused)) {
      if (checkpoint !== 'other') t.true(refused > 0, `${replay(r)}: forged records refused at ${checkpoint}: ${refused}`)
    }
    t.true(f.pullsRefused > 0, `${replay(r)}: baited replica pulls refused ${f.pullsRefused}`)
    t.true(f.forgersPenalised > 0, `${replay(r)}: forgers penalised for their forged fetch headers: ${f.forgersPenalised}`)
    t.is(f.fetchesAfterPenalty, 0, `${replay(r)}: lookups asked a forger they had penalised`)
    t.is(f.honestPenalised, 0, `${replay(r)}: honest providers penalised`)
    t.is(f.admitted, 0, replay(r))
    t.is(r.wrongHeld, 0, replay(r))
    t.is(r.livenessHits, r.livenessGets, replay(r))
  })
}

test('forgers the DHT names are refused too, in a mesh large enough to provide and an index small enough to ask', t => {
  const r = forged(4, { nodes: 72, cacheConfig: { index: { maxEntries: 60 } } })
  t.deepEqual(r.violations, [], replay(r))
  t.true(r.forgery.dhtFetches > 0, `${replay(r)}: ${r.forgery.dhtFetches} fetches from forgers named by the DHT`)
  t.is(r.forgery.admitted, 0, replay(r))
  t.is(r.wrongHeld, 0, replay(r))
})

test('a trust policy that admits every producer is caught serving forged bytes, and the summary names the seed', t => {
  const r = forged(1, { trust: () => new TrustPolicy(OPEN_MESH_TRUST) })
  t.true(caughtServingForgedBytes(r), `seed 1: ${JSON.stringify(r.violations.slice(0, 2))}`)
  t.true(r.forgery.admitted > 0 && r.wrongHeld > 0, replay(r))
  const summary = formatCacheSummary(r)
  t.regex(summary, /INVARIANTS VIOLATED \(\d+\) with seed 1; replay: gmesh sim --scenario cache-forged-records --nodes 24 --seed 1/)
  t.regex(summary, /no-corrupt-served .* served bytes hash to/)
})

test('a replica that takes push offers without asking its trust list is caught serving the forged entry it kept', t => {
  const r = forged(2, { createCache: (deps, overrides) => new TrustlessReplica(deps, overrides) })
  t.true(caughtServingForgedBytes(r), `${replay(r)}: ${JSON.stringify(r.violations.slice(0, 2))}`)
  t.true(r.wrongHeld > 0, replay(r))
})

test('a replica pull that takes the bytes the provider\'s header names instead of the offer\'s is caught', t => {
  const r = forged(3, { checkPullHeaders: false })
  t.true(caughtServingForgedBytes(r), `${replay(r)}: ${JSON.stringify(r.violations.slice(0, 2))}`)
  t.is(r.forgery.pullsRefused, 0, replay(r))
})

test('an index that takes untrusted announcements still serves nothing forged: lookups ask the trust list again', t => {
  const careless = (deps: CacheProtocolDeps, overrides: CacheConfigOverrides): CacheProtocol => {
    const cache = new CacheProtocol(deps, overrides)
    const onMessage = cache.onMessage.bind(cache)
    cache.onMessage = (from, via, bytes, now) => {
      if (via !== cache.topics[0]) return onMessage(from, via, bytes, now)
      for (const record of announceCodec.decode(bytes).records) if (verifyRecord(record, deps.verify)) cache.index.add(from, record, now)
      return 'accept'
    }
    return cache
  }
  const r = forged(4, { createCache: careless })
  t.deepEqual(r.violations, [], replay(r))
  t.true(r.forgery.refused.other > 0, `${replay(r)}: lookups refused ${r.forgery.refused.other} forged providers from the index`)
})
