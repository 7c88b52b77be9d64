import test from 'ava'
import { CacheProtocol } from '../../../protocols/cache/index.js'
import type { CacheConfigOverrides, CacheProtocolDeps } from '../../../protocols/cache/index.js'
import { runCacheSim } from '../../../sim/cache/run.js'
import type { CacheSimResult } from '../../../sim/cache/run.js'

function replay (r: CacheSimResult): string {
  return `seed ${r.seed}; replay: gmesh sim --scenario ${r.scenario} --seed ${r.seed}`
}

test('header and body arrive apart: bodies of large entries are reported moving before they end, and GETs wait for them', t => {
  const r = runCacheSim({ scenario: 'cache-steady', seed: 1 })
  t.deepEqual(r.violations, [], replay(r))
  t.true(r.transfers.progressReports > 0, `${replay(r)}: ${r.transfers.progressReports} progress reports`)
  t.true(r.transfers.slowestGetMs > 250, `${replay(r)}: the slowest GET took ${r.transfers.slowestGetMs} ms`)
})

test('a burst of GETs at one producer: it answers busy past 16 uploads, lookups queue for fetch slots and ask it again, in bounds', t => {
  const runs = [1, 2, 3].map(seed => runCacheSim({ scenario: 'cache-busy-burst', seed }))
  for (const r of runs) {
    t.deepEqual(r.violations, [], replay(r))
    t.true(r.transfers.busy > 0, `${replay(r)}: ${r.transfers.busy} busy answers`)
    t.true(r.transfers.busyRetried > 0, `${replay(r)}: ${r.transfers.busyRetried} fetches asked a busy provider again`)
    t.true(r.transfers.slowestGetMs <= 28_000, `${replay(r)}: slowest GET ${r.transfers.slowestGetMs} ms`)
  }
  const sum = (f: (r: CacheSimResult) => number): number => runs.reduce((n, r) => n + f(r), 0)
  t.true(sum(r => r.transfers.busyRetryHits) > 0, 'some busy providers served when asked again (seeds 1-3)')
  t.true(sum(r => r.transfers.slotsFull) > 0, 'some nodes filled a provider\'s fetch slots (seeds 1-3)')
})

test('drippers, crashes and pauses mid-body: bodies stall and reset, GETs move on in bounds and find non-dripping providers', t => {
  for (const seed of [1, 2, 3]) {
    const r = runCacheSim({ scenario: 'cache-slow-providers', seed })
    t.deepEqual(r.violations, [], replay(r))
    t.true(r.transfers.stalledBodies > 0, `${replay(r)}: ${r.transfers.stalledBodies} stalled bodies abandoned`)
    t.true(r.transfers.cutByCrash > 0, `${replay(r)}: ${r.transfers.cutByCrash} transfers cut by a crash`)
    t.true(r.crashes > 0 && r.pauses > 0, `${replay(r)}: ${r.crashes} crashes, ${r.pauses} pauses`)
    t.true(r.transfers.slowestGetMs <= 28_000, `${replay(r)}: slowest GET ${r.transfers.slowestGetMs} ms`)
    t.true(r.livenessHits > 0, `${replay(r)}: ${r.livenessHits} of ${r.livenessGets} hit in the liveness phase`)
  }
})

/** The lookup before the stall watch: an accepted body may take up to its 25 s deadline, however slowly it moves. */
function withoutStallWatch (deps: CacheProtocolDeps, overrides: CacheConfigOverrides): CacheProtocol {
  return new CacheProtocol(deps, { ...overrides, lookup: { ...overrides.lookup, bodyStallMs: 60_000 } })
}

test('a lookup without the body stall watch is caught holding GETs on dripping bodies', t => {
  const r = runCacheSim({ scenario: 'cache-slow-providers', seed: 1, createCache: withoutStallWatch })
  t.true(r.violations.some(v => v.invariant === 'body-keeps-moving'), `${replay(r)}: ${JSON.stringify(r.violations.slice(0, 2))}`)
  t.is(r.transfers.stalledBodies, 0, replay(r))
})

test('the transfer scenarios replay bit for bit from their seed', t => {
  for (const scenario of ['cache-busy-burst', 'cache-slow-providers']) {
    const a = runCacheSim({ scenario, seed: 9 })
    const b = runCacheSim({ scenario, seed: 9 })
    const c = runCacheSim({ scenario, seed: 10 })
    t.is(a.traceHash, b.traceHash, `${scenario} seed 9`)
    t.deepEqual({ ...a, wallMs: 0 }, { ...b, wallMs: 0 }, `${scenario} seed 9`)
    t.not(a.traceHash, c.traceHash, `${scenario} seeds 9 and 10`)
  }
})
