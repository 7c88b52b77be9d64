import test from 'ava'
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
