import test from 'ava'
import { JOBS_SCENARIOS } from '../../../sim/jobs/scenarios.js'
import { runJobsSim } from '../../../sim/jobs/run.js'

/** The CI seed set: every scenario on each seed, 24 nodes, two jobs of 60 units. */
const SEEDS = [11, 12]

for (const scenario of JOBS_SCENARIOS) {
  for (const seed of SEEDS) {
    test(`${scenario.name} seed ${seed}: every job completes, no result lost, one leader per term, accepting nodes only`, t => {
      const result = runJobsSim({ scenario: scenario.name, seed })
      const replay = `replay: runJobsSim({ scenario: '${scenario.name}', seed: ${seed} })`
      t.deepEqual(result.violations, [], `seed ${seed} failed; ${replay}`)
      t.is(result.jobsCompleted, result.jobs, `seed ${seed}; ${replay}`)
      t.true(result.unitRuns >= result.units, `seed ${seed}: every unit ran at least once`)
    })
  }
}

test('leader crashes force new terms and the jobs still complete', t => {
  const result = runJobsSim({ scenario: 'leader-crash', seed: 5 })
  t.true(result.crashes >= 2, `seed 5: ${result.crashes} crashes`)
  t.deepEqual(result.violations, [], 'seed 5')
})

test('a steal storm moves queued units from busy to idle nodes and loses none', t => {
  for (const seed of SEEDS) {
    const result = runJobsSim({ scenario: 'steal-storm', seed })
    t.true(result.stolen > 0, `seed ${seed}: ${result.stolen} units stolen`)
    t.deepEqual(result.violations, [], `seed ${seed}`)
  }
})

test('a run replays bit for bit from its seed', t => {
  const a = runJobsSim({ scenario: 'worker-crash', seed: 9 })
  const b = runJobsSim({ scenario: 'worker-crash', seed: 9 })
  const c = runJobsSim({ scenario: 'worker-crash', seed: 10 })
  t.is(a.traceHash, b.traceHash)
  t.is(a.makespanMs, b.makespanMs)
  t.not(a.traceHash, c.traceHash)
})
