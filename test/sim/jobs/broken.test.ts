import test from 'ava'
import type { Effect } from '../../../protocols/core/index.js'
import { JobsProtocol, jobsCodec } from '../../../protocols/jobs/index.js'
import type { JobsCommand, JobsOptions } from '../../../protocols/jobs/index.js'
import { jobsReplayCommand, runJobsSim } from '../../../sim/jobs/run.js'
import { jobsScenarioNamed } from '../../../sim/jobs/scenarios.js'
import type { JobsScenario } from '../../../sim/jobs/scenarios.js'
import { SeededRunError } from '../../../sim/seeded-run.js'

/** Rewrites a node's outgoing jobs frames: the deliberately broken variants below. */
class Rewriting extends JobsProtocol {
  constructor (options: JobsOptions, private readonly rewrite: (effect: Effect) => Effect | undefined) {
    super(options)
  }

  override drainEffects (): Effect[] {
    return super.drainEffects().flatMap(e => {
      const out = this.rewrite(e)
      return out === undefined ? [] : [out]
    })
  }
}

test('leaders that act under term 1 whatever term they were granted are caught by one-leader-per-term', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => new Rewriting(options, e => {
    if (e.kind !== 'send') return e
    const m = jobsCodec.decode(e.bytes)
    if (m.type !== 'assign') return e
    return { ...e, bytes: jobsCodec.encode({ type: 'assign', tickets: m.tickets.map(x => ({ ...x, term: 1 })) }) }
  })
  const result = runJobsSim({ scenario: 'leader-crash', seed: 5, createJobs, livenessMs: 30_000 })
  t.true(result.violations.some(v => v.invariant === 'one-leader-per-term'), `seed 5: ${JSON.stringify(result.violations.slice(0, 2))}`)
})

test('a node that runs units without accepting builds is caught', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => new JobsProtocol({ ...options, slots: Math.max(1, options.slots) })
  const result = runJobsSim({ scenario: 'steady', seed: 3, createJobs })
  t.true(result.violations.some(v => v.invariant === 'accepting-nodes-only'), 'seed 3')
})

test('workers that never report results to the submitter are caught: the jobs never complete', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => new Rewriting(options, e => {
    if (e.kind !== 'send') return e
    const m = jobsCodec.decode(e.bytes)
    return m.type === 'result' && e.to === 'n0' ? undefined : e
  })
  const result = runJobsSim({ scenario: 'steady', seed: 4, jobs: 1, livenessMs: 20_000 })
  t.deepEqual(result.violations, [], 'seed 4: the healthy variant passes')
  const broken = runJobsSim({ scenario: 'steady', seed: 4, jobs: 1, livenessMs: 20_000, createJobs })
  t.true(broken.violations.some(v => v.invariant === 'job-completes'), `seed 4: ${JSON.stringify(broken.violations)}`)
})

test('a leader that never lets go of a job it led is caught by nodes-go-quiet', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => {
    const jobs = new JobsProtocol(options)
    ;(jobs.leadership as unknown as { drop: () => void }).drop = () => {}
    return jobs
  }
  const result = runJobsSim({ scenario: 'steady', seed: 4, jobs: 1, createJobs })
  t.true(result.violations.some(v => v.invariant === 'nodes-go-quiet'), `seed 4: ${JSON.stringify(result.violations.slice(0, 2))}`)
})

test('with forgers about, a submitter that records results from anyone is caught: its jobs complete with results no run gave', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => {
    // no vouching either: forgers (which never bid) vouch for their lies in their own name
    const jobs = new JobsProtocol({ ...options, resultAuthor: undefined })
    const record = jobs.submitter.onResult.bind(jobs.submitter)
    // as if every sender were the job's leader
    jobs.submitter.onResult = (from, m, now) => record((jobs.submitter as unknown as { jobs: Map<string, { leader?: string }> }).jobs.get(m.jobId)?.leader ?? from, m, now)
    return jobs
  }
  const result = runJobsSim({ scenario: 'forgers', seed: 11, createJobs })
  t.true(result.violations.some(v => v.invariant === 'result-from-a-run'), `seed 11: ${JSON.stringify(result.violations.slice(0, 2))}`)
})

test('with forgers about, workers that take `ended` from anyone are caught: the jobs never complete', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => {
    const jobs = new JobsProtocol(options)
    const end = jobs.worker.onEnded.bind(jobs.worker)
    jobs.worker.onEnded = (from, jobId, now) => { end(jobs.book.get(jobId)?.submitter ?? from, jobId, now) }
    return jobs
  }
  const result = runJobsSim({ scenario: 'forgers', seed: 11, createJobs, livenessMs: 30_000 })
  t.true(result.violations.some(v => v.invariant === 'job-completes'), `seed 11: ${JSON.stringify(result.violations.slice(0, 2))}`)
})

test('with a forging leader and steal victim about, workers that run tickets without checking them against the submitter\'s commitment are caught by runs-as-submitted', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => {
    const jobs = new JobsProtocol(options)
    const worker = jobs.worker as unknown as { admits: (...args: unknown[]) => string }
    const admits = worker.admits.bind(worker)
    // as before commitments: a ticket from the right sender is taken, whatever unit it describes
    worker.admits = (...args) => { const a = admits(...args); return a === 'forged' ? 'take' : a }
    return jobs
  }
  const healthy = runJobsSim({ scenario: 'forged-tickets', seed: 11 })
  t.deepEqual(healthy.violations, [], 'seed 11: the honest workers pass')
  const broken = runJobsSim({ scenario: 'forged-tickets', seed: 11, createJobs })
  const caught = broken.violations.filter(v => v.invariant === 'runs-as-submitted').map(v => v.detail)
  t.true(caught.some(d => / with payload /.test(d)), `seed 11: ${caught.slice(0, 3).join('; ')}`)
  t.true(caught.some(d => / the job has no such unit/.test(d)), 'a unit id not in the job')
  t.true(caught.some(d => / depending on /.test(d) || / with cost /.test(d)), 'changed dependencies or cost')
})

test('with a leader that makes results up, submitters that record results no worker vouches for are caught', t => {
  const healthy = runJobsSim({ scenario: 'forged-results', seed: 11 })
  t.deepEqual(healthy.violations, [], 'seed 11: the honest submitters pass')
  // as before vouched results: no node checks who vouches for a result
  const broken = runJobsSim({ scenario: 'forged-results', seed: 11, createJobs: options => new JobsProtocol({ ...options, resultAuthor: undefined }) })
  t.true(broken.violations.some(v => v.invariant === 'result-from-a-run' || v.invariant === 'job-completes'), `seed 11: ${JSON.stringify(broken.violations.slice(0, 2))}`)
})

test('thieves that keep asking a neighbour that never answers are caught by its request count', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => {
    const jobs = new JobsProtocol(options)
    // as before: a victim that gave nothing is asked again at the next steal
    ;(jobs.worker as unknown as { stealTargets: { gaveNothing: () => void } }).stealTargets.gaveNothing = () => {}
    return jobs
  }
  const healthy = runJobsSim({ scenario: 'hollow-victim', seed: 11 })
  const broken = runJobsSim({ scenario: 'hollow-victim', seed: 11, createJobs })
  t.true(broken.hollowAsked > 5 * healthy.hollowAsked, `seed 11: asked ${broken.hollowAsked} times, ${healthy.hollowAsked} with the rule`)
  t.true(broken.hollowAsked > broken.stolen, `seed 11: asked ${broken.hollowAsked} times, ${broken.stolen} units stolen`)
})

test('a jobs run that throws names its seed', t => {
  const createJobs = (options: JobsOptions): JobsProtocol => new Rewriting(options, e => {
    if (e.kind === 'send') throw new Error('a send went wrong')
    return e
  })
  const err = t.throws(() => runJobsSim({ scenario: 'steady', seed: 6, createJobs }), { instanceOf: SeededRunError })
  t.is(err?.message, 'run with seed 6 threw Error: a send went wrong; replay: the same call with the same seed')
})

test('a jobs run of the command\'s options only is replayed by the gmesh command', t => {
  const steady = jobsScenarioNamed('steady') as JobsScenario
  t.is(jobsReplayCommand({ scenario: 'steady', seed: 4, jobs: 3 }, steady), 'gmesh sim --jobs 3 --scenario steady --nodes 24 --seed 4')
  t.is(jobsReplayCommand({ scenario: 'steady', seed: 4, livenessMs: 20_000 }, steady), undefined)
})

/** Broken on purpose: a submitter that completes its jobs with each unit's result taken from the next unit (results mixed up after recording). */
class MixesUpResults extends JobsProtocol {
  override drainCommands (): JobsCommand[] {
    return super.drainCommands().map(c => {
      if (c.kind !== 'jobCompleted') return c
      const units = [...c.results.keys()]
      return { ...c, results: new Map(units.map((u, i) => [u, c.results.get(units[(i + 1) % units.length] as string) as string])) }
    })
  }
}

test('a submitter that completes a job with results other than those it recorded is caught by no-result-lost', t => {
  const healthy = runJobsSim({ scenario: 'steady', seed: 4, jobs: 1 })
  t.deepEqual(healthy.violations, [], 'seed 4: the healthy variant passes')
  const broken = runJobsSim({ scenario: 'steady', seed: 4, jobs: 1, createJobs: options => new MixesUpResults(options) })
  t.true(broken.violations.some(v => v.invariant === 'no-result-lost'), `seed 4: ${JSON.stringify(broken.violations.slice(0, 2))}`)
})
