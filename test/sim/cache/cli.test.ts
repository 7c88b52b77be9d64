import test from 'ava'
import { runGmesh as gmesh } from '../../helpers/gmesh-node.js'

test('gmesh sim --scenario cache-corrupt-provider names the seed and trace hash and replays bit for bit', async t => {
  const args = ['sim', '--scenario', 'cache-corrupt-provider', '--seed', '7']
  const [first, second] = await Promise.all([gmesh(t, args), gmesh(t, [...args, '--json'])])
  t.is(first.code, 0, first.stderr)
  t.regex(first.stdout, /seed 7/)
  t.regex(first.stdout, /invariants OK/)
  t.regex(first.stdout, /corrupt bytes served \d+, rejected [1-9]\d* \(their providers penalised [1-9]\d* times\)/)
  const trace = /trace ([0-9a-f]{16})/.exec(first.stdout)?.[1] ?? 'none'
  t.not(trace, 'none', first.stdout)
  t.is(second.code, 0, second.stderr)
  const json = JSON.parse(second.stdout) as { traceHash: string, ok: boolean, seed: number }
  t.is(json.seed, 7)
  t.true(json.ok)
  t.is(json.traceHash, trace)
})

test('a cache scenario run prints its seed, its trace and the invariants verdict, and exits 0 when they hold', async t => {
  const out = await gmesh(t, ['sim', '--scenario', 'cache-partition-put', '--seed', '7'])
  t.is(out.code, 0, out.stdout + out.stderr)
  t.regex(out.stdout, /scenario cache-partition-put {2}nodes 24 {2}seed 7/)
  t.regex(out.stdout, /trace [0-9a-f]{16}/)
  t.regex(out.stdout, /invariants OK/)
})

test('cache scenarios are listed with the others and bad cache flags are usage errors', async t => {
  const unknown = await gmesh(t, ['sim', '--scenario', 'nope'])
  t.is(unknown.code, 2)
  t.regex(unknown.stderr, /steady, churn, .*forged-members, cache-steady, cache-provider-crash, cache-corrupt-provider, cache-partition/)
  const nodes = await gmesh(t, ['sim', '--scenario', 'cache-steady', '--nodes', '4'])
  t.is(nodes.code, 2)
  t.regex(nodes.stderr, /at least 8 nodes/)
  const duration = await gmesh(t, ['sim', '--scenario', 'cache-steady', '--duration', '30'])
  t.is(duration.code, 2)
  t.regex(duration.stderr, /--duration must be at least \d+ s/)
})

test('gmesh sim --scenario cache-forged-records counts the forged records refused and keeps the invariants', async t => {
  const out = await gmesh(t, ['sim', '--scenario', 'cache-forged-records', '--seed', '3'])
  t.is(out.code, 0, out.stdout + out.stderr)
  t.regex(out.stdout, /forgers 3: 120 records forged, \d+ honest records used as bait; forged records refused [1-9]\d* \(announcement [1-9]/)
  t.regex(out.stdout, /admitted 0; wrong bytes held by honest nodes 0/)
  t.regex(out.stdout, /invariants OK/)
})
