/**
 * Runs one unit of a distributed build in a worker's workspace: real Gradle (a single-use JVM, or the worker's warm daemon), with the
 * mesh cache (push on), so what the unit builds is shared with the rest of the mesh. The unit has
 * a deadline; on timeout or cancel, Gradle's whole process group is killed (see `runGradle`), and a
 * daemon still building in the workspace 3 s later too.
 * A failed unit reports the failing task, Gradle's "What went wrong" text and the tail of the
 * output before it (the compiler's error lines, for instance), for the build's failure report.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Writable } from 'node:stream'
import type { ActionableSummary, TaskResult } from './build-output.js'
import { releaseProjectFromDaemons } from './gradle-processes.js'
import { renderInitScript } from './init-script.js'
import { OutputTail, type GradleFailure } from './output-tail.js'
import { runGradle, type GradleRunResult } from './runner.js'
import { NO_CONFIGURATION_CACHE_ARGS } from './task-graph.js'
import { renderTestShardScript } from './test-shard-script.js'
import { readTestReports, TestReportsTooLargeError, type TestReportFile } from './test-reports.js'
import { unitGradleArgs, type Unit } from '../plan/units.js'

/** How long a daemon whose client was killed gets to stop building in the workspace before it is killed too. */
const DAEMON_RELEASE_GRACE_MS = 3000

/**
 * `killed`: Gradle was ended by a signal gmesh did not send (the kernel's out-of-memory killer, say), or its client
 * says the daemon disappeared. That says nothing of the build: the unit may well pass on another worker.
 */
export type UnitOutcome = 'success' | 'failed' | 'timeout' | 'cancelled' | 'killed'

/** What Gradle's client says when the daemon running its build died under it (Gradle 4.x to 8.x). */
const DAEMON_DISAPPEARED = 'Gradle build daemon disappeared unexpectedly'

export interface RunUnitOptions {
  unit: Pick<Unit, 'id' | 'project' | 'run' | 'exclude' | 'testFilters' | 'shard'>
  /** The materialised snapshot to build (the build's root directory). */
  workspaceDir: string
  /** The mesh cache endpoint, e.g. `http://127.0.0.1:5071/cache/`. */
  cacheUrl: string
  gradleUserHome: string
  /** The unit's deadline; past it, Gradle's process group is killed and the outcome is `timeout`. */
  timeoutMs: number
  /** Cancels the unit (outcome `cancelled`). */
  signal?: AbortSignal
  /** Aborted when the node stops: a daemon still building after a cancel is killed without waiting for it. */
  stopping?: AbortSignal
  env?: Record<string, string>
  /** The Gradle executable instead of the workspace's ./gradlew or gradle on PATH. */
  gradleExecutable?: string
  /** Where Gradle's output is copied to, besides the runner's own tail (default: nowhere). */
  log?: Writable
  /** Told Gradle's process (group) id as soon as it runs. */
  onSpawn?: (pid: number) => void
  /**
   * Build in a Gradle daemon of `gradleUserHome` (kept warm between units: no JVM start and a warm
   * classpath per unit) instead of a single-use JVM. Default false.
   */
  daemon?: boolean
  /** Where the unit's init script is written (default the OS temp dir); a node uses its own data dir. */
  scratchDir?: string
  /** `java.io.tmpdir` of Gradle's JVMs (see `GradleRunOptions.tmpDir`); a node uses its own data dir. */
  tmpDir?: string
}

/** The failing task, Gradle's "What went wrong" text or why the unit was stopped, and the output's last lines before it. */
export type UnitFailure = GradleFailure

export interface UnitRunResult {
  unitId: string
  outcome: UnitOutcome
  exitCode: number
  durationMs: number
  /** Task outcomes as Gradle printed them. */
  tasks: TaskResult[]
  /** Gradle's own count of the tasks with actions (`N actionable tasks: ...`), when the build got that far. */
  actionable?: ActionableSummary
  failure?: UnitFailure
  /** For a test shard: the JUnit XML reports its test task wrote (also on test failures). */
  testReports?: TestReportFile[]
  /** For a test shard whose reports were too big to read (TestReportsTooLargeError): why. Its outcome stands. */
  testReportsTooLarge?: string
  /** The Gradle command line that was run. */
  command: string[]
  /** Daemons killed after a cancel or timeout because they were still building in the workspace. */
  killedDaemons?: number[]
  /** Process id of the Gradle client, also its process group id (every process of it is gone when this returns after a kill). */
  pid?: number
}

/**
 * Runs a unit's tasks with Gradle and reports how it went. A failed, timed-out or cancelled build
 * is a result, not an exception; it throws only when Gradle cannot be started at all (no Gradle
 * found, workspace missing).
 */
export async function runUnit (options: RunUnitOptions): Promise<UnitRunResult> {
  const started = performance.now()
  const { unit } = options
  if (options.signal?.aborted === true) {
    return { unitId: unit.id, outcome: 'cancelled', exitCode: 1, durationMs: 0, tasks: [], command: [], failure: { message: 'cancelled before it started', logTail: [] } }
  }
  const shard = unit.shard == null ? undefined : await ShardReports.prepare(unit.shard, options.scratchDir)
  const deadline = new AbortController()
  const timer = setTimeout(() => { deadline.abort() }, options.timeoutMs)
  const signal = options.signal == null ? deadline.signal : AbortSignal.any([options.signal, deadline.signal])
  const output = new OutputTail(options.log)
  try {
    const result = await runGradle({
      projectDir: options.workspaceDir,
      // a shard's class selection is a closure in the init script, which a configuration cache could not store
      args: [...unitGradleArgs(unit), ...(unit.shard == null ? [] : NO_CONFIGURATION_CACHE_ARGS), ...(options.daemon === true ? ['--daemon'] : [])],
      initScript: renderInitScript({ cacheUrl: options.cacheUrl, push: true, enableBuildCache: false }) + (shard?.script ?? ''),
      gradleUserHome: options.gradleUserHome,
      noDaemon: options.daemon !== true,
      signal,
      stdout: output.stream('stdout'),
      stderr: output.stream('stderr'),
      ...(options.env != null ? { env: options.env } : {}),
      ...(options.gradleExecutable != null ? { gradleExecutable: options.gradleExecutable } : {}),
      ...(options.onSpawn != null ? { onSpawn: options.onSpawn } : {}),
      ...(options.scratchDir != null ? { scratchDir: options.scratchDir } : {}),
      ...(options.tmpDir != null ? { tmpDir: options.tmpDir } : {})
    })
    const outcome = outcomeOf(result, deadline.signal, output)
    const runResult: UnitRunResult = {
      unitId: unit.id, outcome, exitCode: result.exitCode, durationMs: performance.now() - started, tasks: result.summary.tasks, command: result.command
    }
    if (result.pid != null) runResult.pid = result.pid
    if (result.summary.actionable != null) runResult.actionable = result.summary.actionable
    // Killing the client leaves its daemon building until the running task ends: that task may hang (a timeout)
    // and writes into a workspace about to be removed.
    if ((result.aborted || outcome === 'killed') && options.daemon === true) {
      runResult.killedDaemons = await releaseProjectFromDaemons(options.gradleUserHome, options.workspaceDir, {
        graceMs: DAEMON_RELEASE_GRACE_MS, ...(options.stopping == null ? {} : { skipGrace: options.stopping })
      })
    }
    if (outcome !== 'success') runResult.failure = unitFailure(output, outcome, result, options.timeoutMs, runResult.killedDaemons?.length ?? 0)
    if (shard != null) {
      try {
        runResult.testReports = await shard.read(options.workspaceDir, unit.project)
      } catch (err) {
        if (!(err instanceof TestReportsTooLargeError)) throw err
        runResult.testReportsTooLarge = err.message
      }
    }
    return runResult
  } finally {
    clearTimeout(timer)
    await shard?.cleanup()
  }
}

/**
 * How the unit went. Decided by whether gmesh killed Gradle, so a deadline passing as Gradle exits cannot turn success
 * into timeout; a signal gmesh did not send, or a daemon gone under its client, is `killed`.
 */
function outcomeOf (result: GradleRunResult, deadline: AbortSignal, output: OutputTail): UnitOutcome {
  if (result.aborted) return deadline.aborted ? 'timeout' : 'cancelled'
  if (result.signal != null || (result.exitCode !== 0 && output.wentWrongWith(DAEMON_DISAPPEARED))) return 'killed'
  return result.exitCode === 0 ? 'success' : 'failed'
}

/** The failure of a unit that did not succeed: Gradle's own account of it, unless gmesh or something else stopped Gradle. */
function unitFailure (output: OutputTail, outcome: UnitOutcome, run: Pick<GradleRunResult, 'summary' | 'signal'>, timeoutMs: number, killedDaemons: number): UnitFailure {
  const told = output.failure(run.summary)
  const killed = killedDaemons > 0 ? `Gradle was killed, and so was its daemon, still building ${DAEMON_RELEASE_GRACE_MS / 1000} s later` : 'Gradle was killed'
  const message = outcome === 'timeout'
    ? `the unit ran longer than its ${timeoutMs} ms deadline; ${killed}`
    : outcome === 'cancelled'
      ? `the unit was cancelled; ${killed}`
      : outcome === 'killed' && run.signal != null
        ? `Gradle was killed by ${run.signal}, which gmesh did not send (out of memory?)`
        : told.message
  return { ...told, message }
}

/**
 * A test shard's init script and its reports: the script writes where this Gradle puts the test task's JUnit XML
 * (`buildDir = 'out'` moves it) to a file of a scratch directory, and the reports are read from there.
 */
class ShardReports {
  private constructor (private readonly testTask: string, private readonly dir: string, readonly script: string) {}

  static async prepare (shard: NonNullable<Unit['shard']>, scratchDir: string | undefined): Promise<ShardReports> {
    const dir = await mkdtemp(path.join(scratchDir ?? tmpdir(), 'gmesh-shard-'))
    return new ShardReports(shard.testTask, dir, renderTestShardScript({ ...shard, reportDirFile: path.join(dir, 'junit-xml-dir') }))
  }

  /** The reports the test task wrote, where Gradle said it would (the default directory if it did not say). */
  async read (workspaceDir: string, project: string): Promise<TestReportFile[]> {
    const said = (await readFile(path.join(this.dir, 'junit-xml-dir'), 'utf8').catch(() => '')).trim()
    const name = this.testTask.slice(this.testTask.lastIndexOf(':') + 1)
    return await readTestReports(workspaceDir, project, name, said === '' ? undefined : said)
  }

  async cleanup (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}
