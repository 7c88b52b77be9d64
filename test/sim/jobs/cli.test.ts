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
