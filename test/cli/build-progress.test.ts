import test from 'ava'
import { fakeNode, gmeshBuild, sandbox } from '../helpers/build-cli.js'

const unitLines = (stderr: string): string[] => stderr.split('\n').filter(l => /^gmesh: \[\d+\/\d+\]/.test(l))

test('while the job runs: a line per finished unit of this job with its count, leader changes and requeues, once each across a dropped stream', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'progress')
  const run = gmeshBuild(t, box)
  await run.untilStderr('gmesh: job job-1 running (watch it live with gmesh top)\n')
  t.true(node.lines.indexOf('stream after=none') >= 0 && node.lines.indexOf('stream after=none') < node.lines.indexOf('submitted job-1'),
    'the event stream was open before the job was submitted')

  // the build has the job's report (3 units; the fake plan has 1), as it asks for the next only once it has it
  await node.untilNth('report job-1', 2)
  node.send({ event: { type: 'unit', jobId: 'job-2', unitId: 'u1', name: ':other', outcome: 'success', ms: 5000 } })
  node.send({ event: { type: 'unit', jobId: 'job-1', unitId: 'u1', name: ':a', outcome: 'success', ms: 13_600 } })
  await run.untilStderr('gmesh: [1/3] :a done on self (13.6 s)\n')

  // the stream drops; the reconnection replays every event, the ones already shown too
  node.send({ drop: 'replay-all' })
  await node.until('stream after=2')
  node.send({ result: { unitId: 'u1', worker: 'self', outcome: 'success', ms: 13_600 } })
  node.send({ event: { type: 'units-requeued', jobId: 'job-1', units: 1, from: '12D3KooWlostnodeXXXXlost0001' } })
  node.send({ term: { term: 1, leader: 'self' } })
  node.send({ term: { term: 2, leader: '12D3KooWleader2YYYYlead0002' } })
  node.send({ result: { unitId: 'u2', worker: '12D3KooWworkerZZZZwB7k4AEC', outcome: 'success', ms: 2000 } })
  await run.untilStderr('gmesh: [2/3] :b done on …wB7k4AEC (2.0 s)\n')
  node.send({ event: { type: 'unit', jobId: 'job-1', unitId: 'u3', name: ':c', outcome: 'failed', ms: 1000 } })
  await run.untilStderr('gmesh: [3/3] :c FAILED on self (1.0 s)\n')
  await run.untilStderr('gmesh: leader now …lead0002 (term 2)\n')
  node.send({ result: { unitId: 'u3', worker: 'self', outcome: 'failed', ms: 1000 } })
  node.send({ state: 'failed' })

  t.is(await run.closed, 1)
  const stderr = run.stderr()
  t.deepEqual(unitLines(stderr), ['gmesh: [1/3] :a done on self (13.6 s)', 'gmesh: [2/3] :b done on …wB7k4AEC (2.0 s)', 'gmesh: [3/3] :c FAILED on self (1.0 s)'])
  t.is(stderr.match(/taken back from …lost0001 \(it went silent or lost it\), queued again\n/g)?.length, 1)
  t.is(stderr.match(/leader now/g)?.length, 1, 'term 1 is the start, not a change')
  t.false(stderr.includes(':other'), 'another job\'s unit is not shown')
  t.false(stderr.includes('no live events'))
  t.regex(stderr, /gmesh build FAILED in /)
})

test('a node without the event stream: said once, and the units still show from the job\'s report', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'none')
  await fakeNode(t, box, 'done')
  const run = gmeshBuild(t, box)

  t.is(await run.closed, 0)
  const stderr = run.stderr()
  t.is(stderr.match(/gmesh: no live events from the node \(no such thing: GET \/api\/v1\/events\/stream\); unit lines come from the job's report/g)?.length, 1)
  t.deepEqual(unitLines(stderr), ['gmesh: [1/1] :compileJava done on self (0.0 s)'])
  t.regex(stderr, /gmesh build succeeded in /)
})

test('--json: stdout is the one JSON document and no progress line is printed', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'progress')
  const run = gmeshBuild(t, box, ['--json'])
  await node.until('report job-1')
  node.send({ result: { unitId: 'u1', worker: 'self', outcome: 'success', ms: 1000 } })
  node.send({ state: 'done' })

  t.is(await run.closed, 0)
  t.like(JSON.parse(run.stdout()), { ok: true, exitCode: 0, job: { id: 'job-1', state: 'done' } })
  t.deepEqual(unitLines(run.stderr()), [])
  t.false(node.lines.some(l => l.startsWith('stream after=')), 'no event stream is opened for lines nobody sees')
})
