import test from 'ava'
import { fakeNode, FINAL_FAILURE, gmeshBuild, sandbox } from '../helpers/build-cli.js'

/** Gradle's "What went wrong:" text of FINAL_FAILURE. */
const WENT_WRONG = 'Execution failed for task \':compileJava\'.\n> Compilation failed; see the compiler error output for details.'
/** The output before Gradle's failure summary, as the failure keeps it (both streams, blank lines left out). */
const LOG_TAIL = [...FINAL_FAILURE.stdout, ...FINAL_FAILURE.stderr.slice(0, 3)]

test('--json: a final build that fails says why in final.failure (Gradle\'s "What went wrong" and the lines before it)', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'fail-final')
  await fakeNode(t, box, 'done')
  const run = gmeshBuild(t, box, ['--json'])

  t.is(await run.closed, 1)
  const doc = JSON.parse(run.stdout()) as { final: { failure: unknown } }
  t.like(doc, { ok: false, exitCode: 1, final: { exitCode: 1 } })
  t.deepEqual(doc.final.failure, { task: ':compileJava', message: WENT_WRONG, logTail: LOG_TAIL })
})

test('--no-output: the text summary of a failed final build ends with why, since Gradle\'s output was not shown', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'fail-final')
  await fakeNode(t, box, 'done')
  const run = gmeshBuild(t, box, ['--no-output'])

  t.is(await run.closed, 1)
  t.is(run.stdout(), '')
  t.regex(run.stderr(), /gmesh build FAILED in /)
  t.true(run.stderr().endsWith(`\n\nfinal build FAILED in :compileJava\n${LOG_TAIL.map(line => `  | ${line}\n`).join('')}${WENT_WRONG}\n`), run.stderr())
})

test('with Gradle\'s output shown, the summary does not repeat its failure', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'fail-final')
  await fakeNode(t, box, 'done')
  const run = gmeshBuild(t, box)

  t.is(await run.closed, 1)
  t.true(run.stdout().includes('Compilation failed'), 'Gradle\'s own output')
  t.false(run.stderr().includes('final build FAILED'))
})
