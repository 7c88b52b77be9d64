import test from 'ava'
import { runGmesh as gmesh } from '../helpers/gmesh-node.js'

test('gmesh sim --json prints the contract fields and replays a seed bit for bit', async t => {
  const args = ['sim', '--scenario', 'partition-heal', '--nodes', '40', '--seed', '7', '--json']
  const [first, second] = await Promise.all([gmesh(t, args), gmesh(t, args)])
  t.is(first.code, 0, first.stderr)
  const a = JSON.parse(first.stdout) as Record<string, unknown>
  const b = JSON.parse(second.stdout) as Record<string, unknown>
  for (const field of ['seed', 'nodes', 'invariantsOk', 'violations', 'traceHash', 'messages', 'virtualMs', 'wallMs']) t.true(field in a, field)
  t.is(a.seed, 7)
  t.is(a.nodes, 40)
  t.is(a.invariantsOk, true, `seed 7: ${JSON.stringify(a.violations)}`)
  t.is(b.traceHash, a.traceHash)
  t.is(b.messages, a.messages)
})

test('the text summary names the seed and the trace hash', async t => {
  const out = await gmesh(t, ['sim', '--scenario', 'steady', '--nodes', '20', '--seed', '3'])
  t.is(out.code, 0, out.stderr)
  t.regex(out.stdout, /seed 3/)
  t.regex(out.stdout, /trace [0-9a-f]{16}/)
  t.regex(out.stdout, /invariants OK/)
})

test('bad flags are usage errors (exit 2) that say what to type', async t => {
  const scenario = await gmesh(t, ['sim', '--scenario', 'nope'])
  t.is(scenario.code, 2)
  t.regex(scenario.stderr, /choose one of steady, churn, partition-heal, lossy-lan, swarm/)
  const nodes = await gmesh(t, ['sim', '--nodes', 'many'])
  t.is(nodes.code, 2)
  t.regex(nodes.stderr, /--nodes must be an integer/)
  // a short --duration too: were 5001 nodes accepted, the run would stop at the duration instead of running for minutes
  const many = await gmesh(t, ['sim', '--nodes', '5001', '--duration', '1'])
  t.is(many.code, 2)
  t.regex(many.stderr, /--nodes must be an integer from 2 to 5000 \(got "5001"\): a run's time and memory grow/)
  const duration = await gmesh(t, ['sim', '--nodes', '50', '--duration', '5'])
  t.is(duration.code, 2)
  t.regex(duration.stderr, /--duration must be at least/)
  // partition-heal splits the mesh at 10 s: the faults must last a detection bound past it
  const split = await gmesh(t, ['sim', '--scenario', 'partition-heal', '--seed', '1', '--duration', '57'])
  t.is(split.code, 2, split.stdout)
  t.regex(split.stderr, /--duration must be at least 94 s for partition-heal on 100 nodes \(its faults need 47 s/)
})
