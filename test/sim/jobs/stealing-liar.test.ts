import test from 'ava'
import type { Effect } from '../../../protocols/core/index.js'
import { JobsProtocol, jobsCodec } from '../../../protocols/jobs/index.js'
import type { JobsOptions } from '../../../protocols/jobs/index.js'
import { runJobsSim } from '../../../sim/jobs/run.js'
import { formatJobsSummary } from '../../../sim/jobs/summary.js'

/** Seeds of the `stealing-liar` scenario checked here (each run takes well under a second). */
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8]

for (const seed of SEEDS) {
  test(`stealing-liar seed ${seed}: a slot-less node that steals, reports units held and signs its own results gets no leader deposed and no unit run before its inputs`, t => {
    const r = runJobsSim({ scenario: 'stealing-liar', seed })
    const summary = `seed ${seed}\n${formatJobsSummary(r)}`
    t.true(r.liarStole > 0, `the liar got no tickets, so the run proves nothing; ${summary}`)
    t.deepEqual(r.violations, [], summary)
    t.is(r.jobsCompleted, r.jobs, summary)
    t.is(r.forgedResults.refused, 0, `a submitter refused a result its leader passed on; ${summary}`)
  })
}

/** Broken on purpose: every result a node sends carries a summary no worker's tag matches (as if a leader made it up). */
class SpoilsResults extends JobsProtocol {
  override drainEffects (): Effect[] {
    return super.drainEffects().map(e => {
      if (e.kind !== 'send') return e
      const m = jobsCodec.decode(e.bytes)
      return m.type === 'result' ? { ...e, bytes: jobsCodec.encode({ ...m, summary: `${m.summary}-spoilt` }) } : e
    })
  }
}

test('the checker catches a submitter deposing a leader that does not lie on purpose (honest-leaders-kept)', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => new SpoilsResults(options)
  const r = runJobsSim({ scenario: 'steady', seed: 4, jobs: 1, livenessMs: 10_000, createJobs })
  t.true(r.violations.some(v => v.invariant === 'honest-leaders-kept'), `seed 4: ${JSON.stringify(r.violations.slice(0, 3))}`)
})
