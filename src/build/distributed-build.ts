/**
 * `gmesh build` from the submitter's side (design.md, "Distributed builds"): ask Gradle for the
 * task graph, cut it into units, hand them to the local node (which snapshots the project and
 * runs the job on the mesh), wait for the job, then run the requested tasks locally with the
 * mesh cache, where the units' work comes back FROM-CACHE.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { Writable } from 'node:stream'
import { INTERRUPTED_EXIT_CODE, JobCancelError, type BuildState } from './build-failure.js'
import type { JobReport, SubmitJobRequest } from '../client/api-types.js'
import { NodeApiError } from '../client/errors.js'
import { newJobId } from '../client/job-id.js'
import type { NodeClient } from '../client/node-client.js'
import { renderInitScript } from '../gradle/init-script.js'
import { NO_REASON, OutputTail, type GradleFailure } from '../gradle/output-tail.js'
import { runGradle, type GradleRunResult } from '../gradle/runner.js'
import type { TestReportFile } from '../gradle/test-reports.js'
import { mergeShardReports, type ShardedTestResult } from '../plan/final-build.js'
import { planDistributedBuild } from './build-plan.js'
import { BuildProgress } from './build-progress.js'
import { followJobEvents, type JobEvents } from './job-events.js'
import { skippedWarning } from './build-summary.js'
import { finalBuildArgs, type ShardRequest, type UnitPlan } from '../plan/units.js'

const POLL_MS = 250
/** How long an interrupted build waits for the node to cancel its job. */
export const CANCEL_DEADLINE_MS = 5000

export interface DistributedBuildOptions {
  client: NodeClient
  /** The node's cache endpoint, for the final build. */
  cacheUrl: string
  /** Where the build is asked for, as `gradle` would be run there: the build's root or a subproject's directory. */
  projectDir: string
  /** Tasks (and nothing else) as given after `--`. */
  tasks: string[]
  unitTimeoutMs?: number
  gradleUserHome?: string
  /** Each module's tests in a unit of their own, so other modules need not wait for them (default true). */
  separateTests?: boolean
  /** Every module's test task in this many shards by test class (`--shard-tests`). */
  testShardsPerModule?: number
  /** Shards of given modules' test tasks, overriding `testShardsPerModule` (`--shard`). */
  shardTests?: ShardRequest[]
  /** Probe and build locally without the Gradle daemon (default: the daemon, as plain Gradle would). */
  noDaemon?: boolean
  env?: Record<string, string>
  signal?: AbortSignal
  /** Progress lines (plan, job state), e.g. process.stderr; nothing when absent. */
  progress?: Writable
  /** Where the final build's output goes (default: nowhere). */
  finalOutput?: Writable
  /** Moved on as the build goes (stage, plan, job, the Gradle running), so an error or an interrupt can say where it stopped. */
  state?: BuildState
  /** How long an interrupted build waits for the node to cancel its job (default CANCEL_DEADLINE_MS). */
  cancelDeadlineMs?: number
}

/**
 * The final local build. `failure` when Gradle failed (not when it was stopped): what it said went wrong and the last
 * lines of its output, kept whether or not its output was shown, so `--json` and `--no-output` can still say why.
 */
export type FinalBuildResult = GradleRunResult & { failure?: GradleFailure }

export interface BuildTimings { probeMs: number, submitMs: number, distributedMs: number, finalMs: number, totalMs: number }

export interface DistributedBuildResult {
  plan: UnitPlan
  /** The build's root directory, which was snapshotted (where the settings file is). */
  buildRoot: string
  job: JobReport
  /** The local build of the requested tasks after a successful job; absent when the job failed. */
  final?: FinalBuildResult
  /** Each sharded test task's reports, merged into its module after the final build (absent when none was sharded, the job failed or the final build was interrupted). */
  testShards?: ShardedTestResult[]
  timings: BuildTimings
  /** Exit code for the CLI: 0 only when the job and the final build succeeded; 130 when the final build was interrupted. */
  exitCode: number
}

/** Runs a whole distributed build; a failed unit is a result (exit code 1), not an exception. */
export async function distributedBuild (options: DistributedBuildOptions): Promise<DistributedBuildResult> {
  // opened while Gradle plans, so it is open by the time the job is submitted
  const progress = options.progress == null ? undefined : new BuildProgress(options.progress, options.client.info.peerId)
  const events = progress == null ? undefined : followJobEvents(options.client, progress, options.signal)
  try {
    return await build(options, progress, events)
  } finally {
    events?.stop()
  }
}

async function build (options: DistributedBuildOptions, progress: BuildProgress | undefined, events: JobEvents | undefined): Promise<DistributedBuildResult> {
  const started = performance.now()
  const { client, signal } = options
  const state: BuildState = options.state ?? { stage: 'probe' }
  state.stage = 'probe'
  const onSpawn = (pid: number): void => { state.gradlePid = pid }
  const { plan, graph, buildRoot, projectDir } = await planDistributedBuild({ ...options, onSpawn })
  delete state.gradlePid
  state.plan = plan
  state.stage = 'submit'
  const probeMs = performance.now() - started
  const from = projectDir === buildRoot ? '' : ` (tasks as named in ${projectDir})`
  for (const warning of plan.warnings) options.progress?.write(`gmesh: warning: ${warning}\n`)
  options.progress?.write(`gmesh: ${plan.units.length} units from ${graph.tasks.length} tasks (Gradle ${plan.gradleVersion}), submitting; snapshot of the build at ${buildRoot}${from}\n`)
  if (progress != null) progress.total = plan.units.length
  const request = {
    jobId: newJobId(), projectDir: buildRoot, requested: options.tasks, units: plan.units,
    ...(options.unitTimeoutMs == null ? {} : { unitTimeoutMs: options.unitTimeoutMs })
  }
  // the job's events are this job's from its first one on; the node names the job once it answers
  if (progress != null) progress.jobId = request.jobId
  await events?.opened()
  const cancelDeadlineMs = options.cancelDeadlineMs ?? CANCEL_DEADLINE_MS
  const jobId = await submit(client, state, request, signal, cancelDeadlineMs)
  if (progress != null) progress.jobId = jobId
  state.stage = 'job'
  const submitMs = performance.now() - started - probeMs
  options.progress?.write(`gmesh: job ${jobId} running (watch it live with gmesh top)\n`)
  const job = await waitForJob(client, jobId, signal, cancelDeadlineMs, (report, first) => {
    const warning = first ? skippedWarning(report.snapshot) : undefined
    if (warning !== undefined) options.progress?.write(`gmesh: warning: ${warning}\n`)
    progress?.report(report)
  })
  events?.stop()
  state.job = job
  const distributedMs = performance.now() - started - probeMs - submitMs
  const timings = { probeMs, submitMs, distributedMs, finalMs: 0, totalMs: 0 }
  if (job.state !== 'done') {
    timings.totalMs = performance.now() - started
    return { plan, buildRoot, job, timings, exitCode: 1 }
  }
  state.stage = 'final'
  const shardReports = await fetchShardReports(client, plan, job.id, options.signal)
  options.progress?.write('gmesh: every unit built; running the requested tasks locally from the mesh cache\n')
  const output = new OutputTail()
  const final: FinalBuildResult = await runGradle({
    projectDir,
    ...(options.gradleUserHome == null ? {} : { gradleUserHome: options.gradleUserHome }),
    ...(options.env == null ? {} : { env: options.env }),
    args: finalBuildArgs(plan),
    noDaemon: options.noDaemon === true,
    initScript: renderInitScript({ cacheUrl: options.cacheUrl, push: true, enableBuildCache: false }),
    keepInitScript: true,
    stdout: options.finalOutput ?? null,
    stderr: options.finalOutput ?? null,
    onOutput: (stream, chunk) => { output.push(stream, chunk) },
    onSpawn,
    ...(signal == null ? {} : { signal })
  })
  delete state.gradlePid
  if (final.exitCode !== 0 && !final.aborted) final.failure = finalFailure(output, final)
  // after the final build, whose `clean` (if asked for) would delete them; none of its tasks reads them, it skips the test tasks
  const testShards = final.aborted ? [] : await mergeTestShards(plan, shardReports, buildRoot, options)
  timings.finalMs = performance.now() - started - probeMs - submitMs - distributedMs
  timings.totalMs = performance.now() - started
  return { plan, buildRoot, job, final, ...(testShards.length === 0 ? {} : { testShards }), timings, exitCode: final.exitCode === 0 ? 0 : final.aborted && signal?.aborted === true ? INTERRUPTED_EXIT_CODE : 1 }
}

/** Why the final build failed, as Gradle said it (or the signal that ended it, when it said nothing). */
function finalFailure (output: OutputTail, final: GradleRunResult): GradleFailure {
  const told = output.failure(final.summary)
  return final.signal == null || told.message !== NO_REASON ? told : { ...told, message: `Gradle was killed by ${final.signal}` }
}

/** The test shards' reports by unit id, from the node (before the final build, so a node that lost them stops the build early). */
async function fetchShardReports (client: NodeClient, plan: UnitPlan, jobId: string, signal: AbortSignal | undefined): Promise<Map<string, TestReportFile[]>> {
  if (plan.shardedTestTasks.length === 0) return new Map()
  const { units } = await client.jobTestReports(jobId, signal)
  return new Map(Object.entries(units))
}

/** The test shards' reports merged into their modules, as if their test tasks had run here. */
async function mergeTestShards (plan: UnitPlan, reports: ReadonlyMap<string, TestReportFile[]>, buildRoot: string, options: DistributedBuildOptions): Promise<ShardedTestResult[]> {
  if (plan.shardedTestTasks.length === 0) return []
  const merged = await mergeShardReports(buildRoot, plan, reports)
  for (const sharded of merged) {
    options.progress?.write(`gmesh: ${sharded.task}: ${sharded.tests} tests from ${plan.shardedTestTasks.find(s => s.task === sharded.task)?.shardUnits.length ?? 0} shards merged into ${sharded.dir}\n`)
    for (const warning of sharded.warnings) options.progress?.write(`gmesh: warning: ${warning}\n`)
  }
  return merged
}

/**
 * Submits the job under the id this client picked (`state.jobId` from the start), so an interrupt while the node takes
 * the snapshot can still cancel it: the node then stops the submission, or the job if it had just started.
 */
async function submit (client: NodeClient, state: BuildState, request: SubmitJobRequest & { jobId: string }, signal: AbortSignal | undefined, cancelDeadlineMs: number): Promise<string> {
  state.jobId = request.jobId
  try {
    // a node older than client-chosen ids picks its own
    state.jobId = (await client.submitJob(request, signal)).jobId
    return state.jobId
  } catch (err) {
    if (signal?.aborted !== true) throw err
    state.jobStarted = await cancelJob(client, request.jobId, true, cancelDeadlineMs)
    throw err
  }
}

/**
 * Follows the job until it ends (past `assembling`, while the node fetches test shards' reports), showing `seen` each
 * report (`first` the first one); on abort, cancels it
 * on the node first so no unit keeps running, and throws JobCancelError if the node does not within `cancelDeadlineMs`.
 */
async function waitForJob (client: NodeClient, jobId: string, signal: AbortSignal | undefined, cancelDeadlineMs: number, seen: (report: JobReport, first: boolean) => void): Promise<JobReport> {
  try {
    for (let polls = 0; ; polls++) {
      const report = await client.jobReport(jobId, signal)
      seen(report, polls === 0)
      if (report.state !== 'running' && report.state !== 'assembling') return report
      await delay(POLL_MS, undefined, signal == null ? {} : { signal })
    }
  } catch (err) {
    if (signal?.aborted === true) await cancelJob(client, jobId, false, cancelDeadlineMs)
    throw err
  }
}

/**
 * Cancels an interrupted build's job, within `deadlineMs`: a node that hangs must not hold the user's Ctrl-C.
 * Resolves whether the job had started; while `submitting`, a node that knows no such job never started it (404).
 */
async function cancelJob (client: NodeClient, jobId: string, submitting: boolean, deadlineMs: number): Promise<boolean> {
  const deadline = AbortSignal.timeout(deadlineMs)
  try {
    return (await client.cancelJob(jobId, 'the submitter stopped waiting (interrupted)', deadline)).started
  } catch (err) {
    if (submitting && err instanceof NodeApiError && err.status === 404) return false
    if (err instanceof NodeApiError && err.status === 409) return true // it ended just before the cancel: nothing runs
    const reason = deadline.aborted ? `the node did not answer within ${deadlineMs / 1000} s` : (err as Error).message
    throw new JobCancelError(jobId, reason, err)
  }
}
