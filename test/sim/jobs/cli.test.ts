import test from 'ava'
import { runGmesh as gmesh } from '../../helpers/gmesh-node.js'

test('gmesh sim --jobs runs distributed builds under a scenario\'s faults, names its seed and trace, and replays bit for bit', async t => {
  const args = ['sim', '--jobs', '3', '--scenario', 'worker-crash', '--seed', '9']
  const [text, json] = await Promise.all([gmesh(t, args), gmesh(t, [...args, '--json'])])
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
  const membershipOnly = await gmesh(t, ['sim', '--jobs', '2', '--scenario', 'churn'])
  t.is(membershipOnly.code, 2)
  t.regex(membershipOnly.stderr, /with --jobs choose one of steady, partition, leader-crash, worker-crash, stragglers, steal-storm, lossy/)
  for (const args of [['--jobs', '0'], ['--jobs', 'many'], ['--jobs', '2', '--duration', '30']]) {
    const out = await gmesh(t, ['sim', ...args])
    t.is(out.code, 2, args.join(' '))
  }
})

test('a jobs scenario runs on the smallest mesh its faults leave a builder on, and refuses a smaller one (or a seed with no builder) with a usage error', async t => {
  // before: leader-crash needed 8 nodes (7 honest builders) and forgers 10, so both of these exited 2, though the
  // last node with build slots up is never crashed and the runs complete
  for (const nodes of ['6', '8']) {
    const leaderCrash = await gmesh(t, ['sim', '--jobs', '1', '--scenario', 'leader-crash', '--nodes', nodes, '--seed', '1'])
    t.is(leaderCrash.code, 0, leaderCrash.stdout + leaderCrash.stderr)
    t.regex(leaderCrash.stdout, /1 of 1 jobs completed/)
    t.regex(leaderCrash.stdout, /invariants OK/)
  }
  const forgers = await gmesh(t, ['sim', '--jobs', '1', '--scenario', 'forgers', '--nodes', '8', '--seed', '1'])
  t.is(forgers.code, 0, forgers.stdout + forgers.stderr)
  t.regex(forgers.stdout, /1 of 1 jobs completed/)
  // at the minimum (a submitter and one builder) a run completes, and crashes no leader: it is the last builder
  const smallest = await gmesh(t, ['sim', '--jobs', '1', '--scenario', 'leader-crash', '--nodes', '2', '--seed', '3'])
  t.is(smallest.code, 0, smallest.stdout + smallest.stderr)
  t.regex(smallest.stdout, /1 of 1 jobs completed/)
  t.regex(smallest.stdout, /faults: 0 crashes/)
  // below it, or a seed that draws no builder, a usage error naming what the scenario needs
  const tooSmall = await gmesh(t, ['sim', '--jobs', '1', '--scenario', 'forgers', '--nodes', '3', '--seed', '1'])
  t.is(tooSmall.code, 2, tooSmall.stdout + tooSmall.stderr)
  t.regex(tooSmall.stderr, /jobs scenario forgers needs at least 4 nodes \(got 3\): node 0 submits and has no build slots, 2 node\(s\) forge, and the scenario crashes acting leaders and leaves them down, but never the last node with build slots/)
  const noBuilder = await gmesh(t, ['sim', '--jobs', '1', '--scenario', 'leader-crash', '--nodes', '2', '--seed', '1'])
  t.is(noBuilder.code, 2, noBuilder.stdout + noBuilder.stderr)
  t.regex(noBuilder.stderr, /jobs scenario leader-crash needs 1 honest node with build slots, and seed 1 gives 2 nodes only 0: .*use more nodes/)
  t.notRegex(noBuilder.stdout, /INVARIANTS VIOLATED/)
})
