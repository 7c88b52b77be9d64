import test from 'ava'
import { runGmesh as gmesh } from '../../helpers/gmesh-node.js'

test('gmesh sim --jobs runs distributed builds under a scenario\'s faults, names its seed and trace, and replays bit for bit', async t => {
  const args = ['sim', '--jobs', '3', '--scenario', 'worker-crash', '--seed', '9']
  const [text, json] = await Promise.all([gmesh(args), gmesh([...args, '--json'])])
  t.is(text.code, 0, text.stdout + text.stderr)
  t.regex(text.stdout, /scenario worker-crash {2}nodes 24 {2}jobs 3 {2}seed 9/)
  t.regex(text.stdout, /3 of 3 jobs completed; makespan [\d.]+ s \(lower bound [\d.]+ s\)/)
  t.regex(text.stdout, /invariants OK/)
  const result = JSON.parse(json.stdout) as { traceHash: string, jobs: number, crashes: number }
  t.is(result.jobs, 3)
  t.true(result.crashes > 0, 'the scenario crashed workers')
  t.is(/trace ([0-9a-f]{16})/.exec(text.stdout)?.[1], result.traceHash)
})

test('with --jobs, scenarios are the jobs ones and bad values are usage errors', async t => {
  const membershipOnly = await gmesh(['sim', '--jobs', '2', '--scenario', 'churn'])
  t.is(membershipOnly.code, 2)
  t.regex(membershipOnly.stderr, /with --jobs choose one of steady, partition, leader-crash, worker-crash, stragglers, steal-storm, lossy/)
  for (const args of [['--jobs', '0'], ['--jobs', 'many'], ['--jobs', '2', '--duration', '30']]) {
    const out = await gmesh(['sim', ...args])
    t.is(out.code, 2, args.join(' '))
  }
})

test('a jobs scenario refuses a mesh too small for its faults with a usage error naming what it needs, instead of a failed run', async t => {
  // before: both exited 1 with "job job0 did not complete in the liveness phase (reported failed)": every node
  // with build slots had led a term and been crashed, and the job was abandoned with nobody left to build
  const forgers = await gmesh(['sim', '--jobs', '1', '--scenario', 'forgers', '--nodes', '8', '--seed', '1'])
  t.is(forgers.code, 2, forgers.stdout + forgers.stderr)
  t.regex(forgers.stderr, /jobs scenario forgers needs at least 10 nodes \(got 8\): node 0 submits and has no build slots, 2 node\(s\) forge, and the scenario crashes 6 acting leaders/)
  const leaderCrash = await gmesh(['sim', '--jobs', '1', '--scenario', 'leader-crash', '--nodes', '8', '--seed', '1'])
  t.is(leaderCrash.code, 2, leaderCrash.stdout + leaderCrash.stderr)
  t.regex(leaderCrash.stderr, /jobs scenario leader-crash needs 7 honest nodes with build slots, and seed 1 gives 8 nodes only 4: .*use more nodes/)
  t.notRegex(leaderCrash.stdout, /INVARIANTS VIOLATED/)
  // a mesh that leaves a node to build after the crashes runs, and its job completes
  const enough = await gmesh(['sim', '--jobs', '1', '--scenario', 'leader-crash', '--nodes', '12', '--seed', '1'])
  t.is(enough.code, 0, enough.stdout + enough.stderr)
  t.regex(enough.stdout, /1 of 1 jobs completed/)
  // a scenario without crashes runs on a submitter and one node to build
  const steady = await gmesh(['sim', '--jobs', '1', '--scenario', 'steady', '--nodes', '3', '--seed', '1'])
  t.is(steady.code, 0, steady.stdout + steady.stderr)
})
