import test from 'ava'
import { JOBS_SCENARIOS } from '../../../sim/jobs/scenarios.js'
import { runJobsSim } from '../../../sim/jobs/run.js'
import { signedResult } from '../../../sim/jobs/result-signing.js'
import { JobsProtocol, type JobsCommand, type JobSpec } from '../../../protocols/jobs/index.js'

/** The CI seed set: every scenario on each seed, 24 nodes, two jobs of 60 units. */
const SEEDS = [11, 12]

for (const scenario of JOBS_SCENARIOS) {
  for (const seed of SEEDS) {
    test(`${scenario.name} seed ${seed}: every job completes with results its runs gave, inputs first, one leader per term, accepting nodes only`, t => {
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

/** Broken on purpose: a worker reports each unit it is handed as done, without running it (vouching for that in its own name). */
class ForgesResults extends JobsProtocol {
  private at = 0
  override onMessage (from: string, via: string, bytes: Uint8Array, now: number): ReturnType<JobsProtocol['onMessage']> { this.at = now; return super.onMessage(from, via, bytes, now) }
  override onTimer (key: string, now: number): void { this.at = now; super.onTimer(key, now) }
  override drainCommands (): JobsCommand[] {
    const kept: JobsCommand[] = []
    for (let batch = super.drainCommands(); batch.length > 0; batch = super.drainCommands()) {
      for (const command of batch) {
        if (command.kind === 'runUnit') this.unitFinished(command.jobId, command.unitId, 'ok', signedResult(this.self, command.jobId, command.unitId, 'ok'), this.at)
        else kept.push(command)
      }
    }
    return kept
  }
}

/** Broken on purpose: the submitter drops every dependency, so units run before their inputs exist. */
class DropsDependencies extends JobsProtocol {
  override submitJob (spec: JobSpec, now: number): void { super.submitJob({ ...spec, units: spec.units.map(unit => ({ ...unit, dependsOn: [] })) }, now) }
}

test('the checker catches results no run gave, and runs that start before their inputs are done', t => {
  const forged = runJobsSim({ scenario: 'steady', seed: 4, createJobs: options => new ForgesResults(options) })
  t.true(forged.violations.some(v => v.invariant === 'result-from-a-run'), `seed 4: ${JSON.stringify(forged.violations.slice(0, 2))}`)
  const unordered = runJobsSim({ scenario: 'steady', seed: 4, createJobs: options => new DropsDependencies(options) })
  t.true(unordered.violations.some(v => v.invariant === 'dependencies-first'), `seed 4: ${JSON.stringify(unordered.violations.slice(0, 2))}`)
})

test('a forging leader and a forging steal victim hand out forged tickets; honest workers refuse them and run every unit as submitted', t => {
  for (const seed of SEEDS) {
    const r = runJobsSim({ scenario: 'forged-tickets', seed })
    t.deepEqual(r.violations, [], `seed ${seed}`)
    t.true(r.forgedTickets.byLeader > 0 && r.forgedTickets.byVictim > 0, `seed ${seed}: ${JSON.stringify(r.forgedTickets)}`)
    t.true(r.forgedTickets.refused > 0, `seed ${seed}: ${JSON.stringify(r.forgedTickets)}`)
    t.is(r.unitRuns, r.units, `seed ${seed}: no forged run, no unit run twice`)
  }
})

test('a leader that passes off results of its own making is refused and deposed; every job completes with results its runs gave', t => {
  for (const seed of SEEDS) {
    const r = runJobsSim({ scenario: 'forged-results', seed })
    t.deepEqual(r.violations, [], `seed ${seed}`)
    t.true(r.forgedResults.sent > 0, `seed ${seed}: ${JSON.stringify(r.forgedResults)}`)
    t.is(r.forgedResults.refused, r.jobs, `seed ${seed}: one lie per job, then the liar leads it no more`)
  }
})

test('with a node about that claims a long queue and answers no steal, idle nodes still steal from the really busy ones', t => {
  for (const seed of SEEDS) {
    const r = runJobsSim({ scenario: 'hollow-victim', seed })
    t.deepEqual(r.violations, [], `seed ${seed}`)
    t.true(r.hollowAsked > 0, `seed ${seed}: the hollow victim drew requests`)
    t.true(r.stolen > 0, `seed ${seed}: nothing stolen`)
  }
})
