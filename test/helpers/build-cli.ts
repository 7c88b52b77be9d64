/**
 * `gmesh build` against a fake node (fake-build-node.ts) in a sandbox: a temp data directory and a project whose
 * ./gradlew is a script that plans one task (or hangs where asked), so no Gradle runs. Every process started here
 * is killed by its pid when the test ends.
 */
import type { ExecutionContext } from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { startFakeBuildNode, type FakeBuildNode, type FakeJobMode } from './fake-build-node.js'

/**
 * Where a fake ./gradlew hangs (until killed), after touching `gradle-started`; else it plans one task and builds it.
 * `fail-probe`: the probe fails as on a broken build script; `unknown-task`: as Gradle 4.4.1 does on a task it does not know;
 * `outside-root`: the probe tells of an included build outside the project (`includeBuild '../lib'`);
 * `fail-final`: the final build fails as Gradle 4.4.1 does on a compile error (FINAL_FAILURE).
 */
export type Hang = 'probe' | 'final' | 'none' | 'fail-probe' | 'unknown-task' | 'outside-root' | 'fail-final'

/** What the `fail-final` build prints: the compiler's error on stderr, then Gradle's failure summary. */
export const FINAL_FAILURE = {
  stdout: ['> Task :compileJava FAILED'],
  stderr: [
    '/p/src/main/java/A.java:1: error: incompatible types: String cannot be converted to int', 'class A { int x = "no"; }', '1 error', '',
    'FAILURE: Build failed with an exception.', '', '* What went wrong:', 'Execution failed for task \':compileJava\'.',
    '> Compilation failed; see the compiler error output for details.', '', '* Try:', 'Run with --stacktrace option to get the stack trace.', '',
    'BUILD FAILED in 1s'
  ]
}

/** `printf` of `lines` (each line a '…'-quoted argument) to the given file descriptor. */
const printLines = (lines: string[], fd: 1 | 2): string => `printf '%s\\n' ${lines.map(line => `'${line.replaceAll('\'', '\'\\\'\'')}'`).join(' ')}${fd === 2 ? ' >&2' : ''}`

const PROBE_FAILURES: Partial<Record<Hang, string>> = {
  'fail-probe': '  echo "What went wrong: a broken build script" >&2; exit 1',
  'unknown-task': '  printf \'%s\\n\' "FAILURE: Build failed with an exception." "" "* What went wrong:" "Task \'compileJava\' not found in root project \'x\'." "" "* Try:" >&2; exit 1'
}

const GRAPH = { gradleVersion: '4.4.1', tasks: [{ path: ':compileJava', type: 'org.gradle.api.tasks.compile.JavaCompile', dependencies: [] }] }

function wrapper (hang: Hang, project: string): string {
  const graph = JSON.stringify(hang === 'outside-root' ? { ...GRAPH, includedBuilds: [{ name: 'lib', dir: path.join(path.dirname(project), 'lib') }] } : GRAPH)
  const stall = 'touch gradle-started; exec sleep 60'
  return [
    '#!/bin/sh',
    'init=""; prev=""',
    'for a in "$@"; do [ "$prev" = "-I" ] && init="$a"; prev="$a"; done',
    'if grep -q "task-graph probe" "$init"; then',
    hang === 'probe' ? `  ${stall}` : PROBE_FAILURES[hang] ?? '  :',
    `  out=$(sed -n "s/^def gmeshProbeOutput = new File('\\(.*\\)')$/\\1/p" "$init")`,
    `  printf '%s' '${graph}' > "$out"; exit 0`,
    'fi',
    hang === 'final' ? stall : hang === 'fail-final' ? `${printLines(FINAL_FAILURE.stdout, 1)}; ${printLines(FINAL_FAILURE.stderr, 2)}; exit 1` : 'echo "BUILD SUCCESSFUL"',
    ''
  ].join('\n')
}

export interface Box { dataDir: string, project: string }

export async function sandbox (t: ExecutionContext, hang: Hang): Promise<Box> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-cli-build-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  const box = { dataDir: path.join(root, 'data'), project: path.join(root, 'project') }
  await mkdir(box.dataDir)
  await mkdir(box.project)
  await writeFile(path.join(box.project, 'settings.gradle'), 'rootProject.name = "x"\n')
  await writeFile(path.join(box.project, 'gradlew'), wrapper(hang, box.project))
  await chmod(path.join(box.project, 'gradlew'), 0o755)
  return box
}

/** The fake node, resumed and killed by pid when the test ends (it may be stopped with SIGSTOP). */
export async function fakeNode (t: ExecutionContext, box: Box, mode: FakeJobMode): Promise<FakeBuildNode> {
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

export interface Run { child: ChildProcess, stdout: () => string, stderr: () => string, untilStderr: (text: string) => Promise<void>, closed: Promise<number | null> }

/** `gmesh build` against the box (`env` added to this process's), killed by pid if it outlives the test. */
export function gmeshBuild (t: ExecutionContext, box: Box, extra: string[] = [], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [GMESH_BIN, 'build', '--data', box.dataDir, '--project', box.project, ...extra, '--', 'compileJava'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
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
