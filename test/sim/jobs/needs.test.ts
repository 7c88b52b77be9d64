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

test('the scenarios that crash leaders and leave them down need one honest builder, as the last one up is never crashed', t => {
  // before: 7 (LEADER_CRASHES + 1), so 8 nodes, 10 for forgers, though runs on 4 to 8 nodes completed
  const expected = new Map([['leader-crash', 2], ['lossy', 2], ['forgers', 4]])
  for (const [name, nodes] of expected) {
    const scenario = JOBS_SCENARIOS.find(s => s.name === name)
    if (scenario === undefined) return t.fail(name)
    t.is(workersNeeded(scenario), 1, name)
    t.is(minJobsNodes(scenario), nodes, name)
  }
})

/**
 * From the minimum up: a run is refused (the seed drew no honest node with build slots) or completes every job with
 * no violation; the leaders it crashes never include the last builder up.
 */
for (const name of ['leader-crash', 'lossy', 'forgers']) {
  test(`${name} from its smallest mesh up is refused or completes, and at the minimum it completes`, t => {
    const scenario = JOBS_SCENARIOS.find(s => s.name === name)
    if (scenario === undefined) return t.fail(name)
    const min = minJobsNodes(scenario)
    let ranAtMin = 0
    let crashed = 0
    for (let nodes = min; nodes <= min + 6; nodes++) {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const replay = `replay: gmesh sim --jobs 1 --scenario ${name} --nodes ${nodes} --seed ${seed}`
        let result
        try {
          result = runJobsSim({ scenario: name, seed, nodes, jobs: 1 })
        } catch (err) {
          t.true(err instanceof SimConfigError, `seed ${seed}, ${nodes} nodes: ${String(err)}; ${replay}`)
          continue
        }
        if (nodes === min) ranAtMin++
        if (result.crashes > 0) crashed++
        t.deepEqual(result.violations, [], `seed ${seed}, ${nodes} nodes; ${replay}`)
        t.is(result.jobsCompleted, 1, `seed ${seed}, ${nodes} nodes; ${replay}`)
        t.true(result.crashes <= Math.min(LEADER_CRASHES, nodes - 2), `seed ${seed}, ${nodes} nodes: ${result.crashes} crashes; ${replay}`)
      }
    }
    t.true(ranAtMin > 0, 'some seed drew a builder at the smallest mesh, and its job completed')
    t.true(crashed > 0, 'small meshes still crash leaders')
  })
}
