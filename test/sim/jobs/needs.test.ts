import test from 'ava'
import { SimConfigError } from '../../../sim/run.js'
import { runJobsSim } from '../../../sim/jobs/run.js'
import { LEADER_CRASHES, JOBS_SCENARIOS } from '../../../sim/jobs/scenarios.js'
import { minJobsNodes, workersNeeded } from '../../../sim/jobs/needs.js'

test('every jobs scenario refuses a mesh below its minimum before it runs', t => {
  for (const scenario of JOBS_SCENARIOS) {
    const error = t.throws(() => runJobsSim({ scenario: scenario.name, seed: 1, nodes: minJobsNodes(scenario) - 1, jobs: 1 }), { instanceOf: SimConfigError }, scenario.name)
    t.regex(error?.message ?? '', new RegExp(`needs at least ${minJobsNodes(scenario)} nodes`), scenario.name)
  }
})

test('the scenarios that crash leaders and leave them down need a node with build slots beyond the crashes', t => {
  for (const name of ['leader-crash', 'lossy', 'forgers']) {
    const scenario = JOBS_SCENARIOS.find(s => s.name === name)
    t.is(scenario === undefined ? 0 : workersNeeded(scenario), LEADER_CRASHES + 1, name)
  }
})

/**
 * Small meshes: a run is refused (too few honest nodes with build slots for the seed) or completes every job; it never
 * reports an invariant violation that is only the arithmetic of its faults (every builder crashed).
 */
for (const name of ['leader-crash', 'lossy', 'forgers']) {
  test(`${name} on small meshes is refused or completes, never fails for want of a node to build`, t => {
    const scenario = JOBS_SCENARIOS.find(s => s.name === name)
    if (scenario === undefined) return t.fail(name)
    let ran = 0
    for (let nodes = minJobsNodes(scenario); nodes <= minJobsNodes(scenario) + 4; nodes++) {
      for (const seed of [1, 2, 3]) {
        const replay = `replay: gmesh sim --jobs 1 --scenario ${name} --nodes ${nodes} --seed ${seed}`
        let result
        try {
          result = runJobsSim({ scenario: name, seed, nodes, jobs: 1 })
        } catch (err) {
          t.true(err instanceof SimConfigError, `seed ${seed}, ${nodes} nodes: ${String(err)}; ${replay}`)
          continue
        }
        ran++
        t.deepEqual(result.violations, [], `seed ${seed}, ${nodes} nodes; ${replay}`)
        t.true(result.crashes <= LEADER_CRASHES, `seed ${seed}, ${nodes} nodes: ${result.crashes} crashes; ${replay}`)
      }
    }
    t.true(ran > 0, 'some seed drew enough nodes with build slots')
  })
}
