import test from 'ava'
import { once } from 'node:events'
import { watch } from 'node:fs'
import { access, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fakeNode, gmeshBuild, sandbox } from '../helpers/build-cli.js'

/** Resolves once `file` exists (watched, not polled). */
async function untilFile (file: string): Promise<void> {
  const watcher = watch(path.dirname(file))
  try {
    const appeared = once(watcher, 'change')
    if (await access(file).then(() => true, () => false)) return
    for (;;) {
      await appeared
      if (await access(file).then(() => true, () => false)) return
    }
  } finally {
    watcher.close()
  }
}

test('Ctrl-C while the node hangs: the cancel gives up after its deadline, says so, and --json still prints a document', async t => {
  t.timeout(30_000, 'the old client waited 120 s for the cancel')
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'running')
  // the deadline cut from 5 s to 0.2 s (a test hook): the message names the deadline that ran out
  const run = gmeshBuild(t, box, ['--json'], { GMESH_CANCEL_DEADLINE_MS: '200' })
  await node.until('report job-1')
  process.kill(node.pid, 'SIGSTOP')
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  t.regex(run.stderr(), /gmesh: build interrupted; could not cancel job job-1: the node did not answer within 0\.2 s: it may still be running on the mesh\n/)
  t.false(run.stderr().includes('was cancelled'))
  t.like(JSON.parse(run.stdout()), { ok: false, exitCode: 130, stage: 'job', interrupted: true, jobId: 'job-1', plan: { units: 1 } })
})

test('a second Ctrl-C exits at once while the cancel waits on a hung node', async t => {
  t.timeout(30_000, 'the old client ignored a second Ctrl-C for 120 s')
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'running')
  // the cancel's deadline far past the test's timeout: a client that waited for it would time the test out
  const run = gmeshBuild(t, box, [], { GMESH_CANCEL_DEADLINE_MS: '600000' })
  await run.untilStderr('gmesh: job job-1 running')
  process.kill(node.pid, 'SIGSTOP')
  run.child.kill('SIGINT')
  await run.untilStderr('again to exit at once')
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  t.regex(run.stderr(), /gmesh: interrupted again: exited at once; job job-1 may still be running on the mesh\n/)
  t.false(run.stderr().includes('could not cancel'), 'it did not wait for the cancel to give up')
})

test('Ctrl-C while the job runs on a node that answers cancels it there and says so', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'running')
  const run = gmeshBuild(t, box)
  await run.untilStderr('gmesh: job job-1 running')
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  t.true(node.lines.includes('cancel job-1'), 'the node got the cancel')
  t.regex(run.stderr(), /gmesh: build interrupted; job job-1 was cancelled on the mesh\n/)
})

test('Ctrl-C while Gradle plans says no job was submitted, and submits none', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'probe')
  const node = await fakeNode(t, box, 'running')
  const run = gmeshBuild(t, box, ['--json'])
  await untilFile(path.join(box.project, 'gradle-started'))
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  t.regex(run.stderr(), /gmesh: build interrupted while planning; no job was submitted\n/)
  t.false(run.stderr().includes('cancelled on the mesh'))
  t.deepEqual(JSON.parse(run.stdout()), { ok: false, exitCode: 130, error: 'build interrupted while planning; no job was submitted', stage: 'probe', interrupted: true })
  t.false(node.lines.includes('submitted job-1'))
})

test('Ctrl-C during the final local build reads as interrupted, not as Gradle failing with 143', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'final')
  await fakeNode(t, box, 'done')
  const run = gmeshBuild(t, box)
  await untilFile(path.join(box.project, 'gradle-started'))
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  t.regex(run.stderr(), /gmesh build interrupted in /)
  t.regex(run.stderr(), / {2}final build: interrupted \(Gradle was stopped\); every unit had built on the mesh\n/)
  t.false(run.stderr().includes('FAILED'))
})

test('--json prints a failure document when no node runs and when Gradle cannot plan the build', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'fail-probe')
  const noNode = gmeshBuild(t, box, ['--json'])
  t.is(await noNode.closed, 1)
  t.like(JSON.parse(noNode.stdout()), { ok: false, exitCode: 1, stage: 'connect', interrupted: false })
  t.regex(noNode.stderr(), /gmesh: no node running at /)

  await fakeNode(t, box, 'running')
  const unplannable = gmeshBuild(t, box, ['--json'])
  t.is(await unplannable.closed, 1)
  const doc = JSON.parse(unplannable.stdout()) as { error: string }
  t.like(doc, { ok: false, exitCode: 1, stage: 'probe', interrupted: false })
  t.regex(doc.error, /Gradle could not plan compileJava \(exit code 1\)/)
  t.regex(unplannable.stderr(), /gmesh: Gradle could not plan compileJava/)
})

test('--json prints a failure document for usage errors too: stage usage, exit 2, the message still on stderr', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'none')
  const notGradle = path.join(box.dataDir, 'notgradle')
  await mkdir(notGradle)
  for (const [extra, message] of [[['--project', notGradle], /no settings\.gradle\(\.kts\) or build\.gradle/], [['--unit-timeout', 'x'], /invalid --unit-timeout "x"/]] as const) {
    const run = gmeshBuild(t, box, ['--json', ...extra])
    t.is(await run.closed, 2, run.stderr())
    const doc = JSON.parse(run.stdout()) as { error: string }
    t.like(doc, { ok: false, exitCode: 2, stage: 'usage', interrupted: false })
    t.regex(doc.error, message)
    t.regex(run.stderr(), message)
  }
})

test('--json: a task Gradle does not know, and --shard for a module with no planned test task, are usage errors: stage usage, exit 2', async t => {
  t.timeout(30_000)
  const unknown = await sandbox(t, 'unknown-task')
  await fakeNode(t, unknown, 'running')
  const run = gmeshBuild(t, unknown, ['--json'])
  t.is(await run.closed, 2, run.stderr())
  const doc = JSON.parse(run.stdout()) as { error: string }
  t.like(doc, { ok: false, exitCode: 2, stage: 'usage', interrupted: false })
  t.regex(doc.error, /Gradle cannot select compileJava: Task 'compileJava' not found in root project 'x'\./)
  t.regex(run.stderr(), /Task 'compileJava' not found in root project 'x'/)

  const box = await sandbox(t, 'none')
  await fakeNode(t, box, 'running')
  const shard = gmeshBuild(t, box, ['--json', '--shard', 'nosuch=2'])
  t.is(await shard.closed, 2, shard.stderr())
  const shardDoc = JSON.parse(shard.stdout()) as { error: string }
  t.like(shardDoc, { ok: false, exitCode: 2, stage: 'usage', interrupted: false })
  t.regex(shardDoc.error, /cannot shard the tests of 'nosuch': :nosuch:test is not among the planned tasks/)
})

test('--json: a build whose included build lies outside its root is a usage error naming it, before anything is submitted', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'outside-root')
  const node = await fakeNode(t, box, 'running')
  const run = gmeshBuild(t, box, ['--json'])
  t.is(await run.closed, 2, run.stderr())
  const doc = JSON.parse(run.stdout()) as { error: string }
  t.like(doc, { ok: false, exitCode: 2, stage: 'usage', interrupted: false })
  const lib = path.join(path.dirname(box.project), 'lib')
  t.true(doc.error.startsWith(`the included build 'lib' (${lib}) lies outside the build's root ${box.project}`), doc.error)
  t.regex(doc.error, /give it with --project$/)
  t.regex(run.stderr(), /the included build 'lib' .* lies outside the build's root/)
  t.false(node.lines.some(line => line.startsWith('submit')), node.lines.join('\n'))
})

test('Ctrl-C while the node takes the snapshot cancels the submission by the id the client picked: no job starts', async t => {
  t.timeout(30_000)
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'snapshotting')
  const run = gmeshBuild(t, box, ['--json'])
  const submitted = await node.untilPrefix('submitting ')
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  const jobId = submitted.slice('submitting '.length)
  t.regex(jobId, /^[0-9a-z]+-[0-9a-f]{16}$/)
  t.true(node.lines.includes(`cancel-submission ${jobId}`), 'the node was asked to stop the submission of that job')
  t.regex(run.stderr(), /gmesh: build interrupted while the node took the snapshot; no job was started\n/)
  t.like(JSON.parse(run.stdout()), { ok: false, exitCode: 130, stage: 'submit', jobId })
})
