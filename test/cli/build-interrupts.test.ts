import test, { type ExecutionContext } from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { watch } from 'node:fs'
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { startFakeBuildNode, type FakeBuildNode, type FakeJobMode } from '../helpers/fake-build-node.js'

/** Where a fake ./gradlew hangs (until killed), after touching `gradle-started`; else it plans one task and builds it. */
type Hang = 'probe' | 'final' | 'none' | 'fail-probe'

const GRAPH = JSON.stringify({ gradleVersion: '4.4.1', tasks: [{ path: ':compileJava', type: 'org.gradle.api.tasks.compile.JavaCompile', dependencies: [] }] })

function wrapper (hang: Hang): string {
  const stall = 'touch gradle-started; exec sleep 60'
  return [
    '#!/bin/sh',
    'init=""; prev=""',
    'for a in "$@"; do [ "$prev" = "-I" ] && init="$a"; prev="$a"; done',
    'if grep -q "task-graph probe" "$init"; then',
    hang === 'probe' ? `  ${stall}` : hang === 'fail-probe' ? '  echo "What went wrong: a broken build script" >&2; exit 1' : '  :',
    `  out=$(sed -n "s/^def gmeshProbeOutput = new File('\\(.*\\)')$/\\1/p" "$init")`,
    `  printf '%s' '${GRAPH}' > "$out"; exit 0`,
    'fi',
    hang === 'final' ? stall : 'echo "BUILD SUCCESSFUL"',
    ''
  ].join('\n')
}

interface Box { dataDir: string, project: string }

async function sandbox (t: ExecutionContext, hang: Hang): Promise<Box> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-cli-build-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  const box = { dataDir: path.join(root, 'data'), project: path.join(root, 'project') }
  await mkdir(box.dataDir)
  await mkdir(box.project)
  await writeFile(path.join(box.project, 'settings.gradle'), 'rootProject.name = "x"\n')
  await writeFile(path.join(box.project, 'gradlew'), wrapper(hang))
  await chmod(path.join(box.project, 'gradlew'), 0o755)
  return box
}

/** The fake node, resumed and killed by pid when the test ends (it may be stopped with SIGSTOP). */
async function fakeNode (t: ExecutionContext, box: Box, mode: FakeJobMode): Promise<FakeBuildNode> {
  const node = await startFakeBuildNode(box.dataDir, mode)
  t.teardown(async () => {
    const exited = once(node.child, 'exit')
    if (node.child.exitCode != null || node.child.signalCode != null) return
    process.kill(node.pid, 'SIGCONT')
    process.kill(node.pid, 'SIGKILL')
    await exited
  })
  return node
}

interface Run { child: ChildProcess, stdout: () => string, stderr: () => string, untilStderr: (text: string) => Promise<void>, closed: Promise<number | null> }

/** `gmesh build` against the box, killed by pid if it outlives the test. */
function gmeshBuild (t: ExecutionContext, box: Box, extra: string[] = []): Run {
  const child = spawn(process.execPath, [GMESH_BIN, 'build', '--data', box.dataDir, '--project', box.project, ...extra, '--', 'compileJava'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const waiting: Array<{ text: string, resolve: () => void }> = []
  child.stdout!.on('data', chunk => { stdout += String(chunk) })
  child.stderr!.on('data', chunk => {
    stderr += String(chunk)
    for (const w of waiting.filter(w => stderr.includes(w.text))) w.resolve()
  })
  const closed = once(child, 'close').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
    await closed
  })
  const untilStderr = async (text: string): Promise<void> => {
    if (stderr.includes(text)) return
    await Promise.race([
      new Promise<void>(resolve => { waiting.push({ text, resolve }) }),
      closed.then(code => { throw new Error(`gmesh build exited (${code}) before it said "${text}":\n${stderr}`) })
    ])
  }
  return { child, stdout: () => stdout, stderr: () => stderr, untilStderr, closed }
}

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

test('Ctrl-C while the node hangs: the cancel gives up after 5 s, says so, and --json still prints a document', async t => {
  t.timeout(30_000, 'the old client waited 120 s for the cancel')
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'running')
  const run = gmeshBuild(t, box, ['--json'])
  await node.until('report job-1')
  process.kill(node.pid, 'SIGSTOP')
  const interrupted = performance.now()
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  const seconds = (performance.now() - interrupted) / 1000
  t.true(seconds >= 4.5 && seconds < 12, `exited ${seconds.toFixed(1)} s after Ctrl-C`)
  t.regex(run.stderr(), /gmesh: build interrupted; could not cancel job job-1: the node did not answer within 5 s: it may still be running on the mesh\n/)
  t.false(run.stderr().includes('was cancelled'))
  t.like(JSON.parse(run.stdout()), { ok: false, exitCode: 130, stage: 'job', interrupted: true, jobId: 'job-1', plan: { units: 1 } })
})

test('a second Ctrl-C exits at once while the cancel waits on a hung node', async t => {
  t.timeout(30_000, 'the old client ignored a second Ctrl-C for 120 s')
  const box = await sandbox(t, 'none')
  const node = await fakeNode(t, box, 'running')
  const run = gmeshBuild(t, box)
  await run.untilStderr('gmesh: job job-1 running')
  process.kill(node.pid, 'SIGSTOP')
  run.child.kill('SIGINT')
  await run.untilStderr('again to exit at once')
  const again = performance.now()
  run.child.kill('SIGINT')

  t.is(await run.closed, 130)
  t.true(performance.now() - again < 3000, 'no wait for the node')
  t.regex(run.stderr(), /gmesh: interrupted again: exited at once; job job-1 may still be running on the mesh\n/)
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
