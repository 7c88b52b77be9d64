/**
 * How far a `gmesh build` got, and what it says when it stops before its summary: an error or an
 * interrupt at one stage (connecting to the node, planning, submitting, waiting for the job, the final
 * local build). The wording says what is true at that stage: whether a job exists, whether it was cancelled.
 */
import type { JobReport } from '../client/api-types.js'
import type { UnitPlan } from '../plan/units.js'

/** Exit code of a build stopped by SIGINT, SIGTERM or SIGHUP (the shell's 128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130
/** Exit code of a build that failed. */
export const FAILED_EXIT_CODE = 1
/** The command line was wrong (the CLI's exit code 2). */
export const USAGE_EXIT_CODE = 2

export type BuildStage = 'connect' | 'probe' | 'submit' | 'job' | 'final'

/** Where a build is: `distributedBuild` moves it on, so an error or an interrupt can say where it stopped. */
export interface BuildState {
  stage: BuildStage
  plan?: UnitPlan
  /** The id the client picked for its job, before it submits it. */
  jobId?: string
  /** Whether the node had started the job when a cancel during the submission stopped it. */
  jobStarted?: boolean
  /** The job's report once it ended. */
  job?: JobReport
  /** The Gradle running now (the probe or the final build), whose process group a forced exit kills. */
  gradlePid?: number
}

/** After an interrupt, the node did not cancel the job (it answered an error, or nothing within the deadline). */
export class JobCancelError extends Error {
  static readonly code = 'ERR_JOB_CANCEL'
  override name = 'JobCancelError'
  constructor (readonly jobId: string, reason: string, cause?: unknown) {
    super(`could not cancel job ${jobId}: ${reason}`, { cause })
  }
}

/** Why a build stopped before its summary, for people (stderr) and scripts (`--json`). */
export interface BuildFailure { stage: BuildStage, interrupted: boolean, exitCode: number, message: string }

/** The failure of a build that threw `err` at `state.stage`; `interrupted` when a stop signal aborted it. */
export function describeFailure (state: BuildState, err: unknown, interrupted: boolean): BuildFailure {
  const message = interrupted ? interruptMessage(state, err) : (err instanceof Error ? err.message : String(err))
  return { stage: state.stage, interrupted, exitCode: interrupted ? INTERRUPTED_EXIT_CODE : FAILED_EXIT_CODE, message }
}

/** What an interrupt left behind at the stage it came in. */
export function interruptMessage (state: BuildState, err: unknown): string {
  switch (state.stage) {
    case 'connect':
    case 'probe':
      return 'build interrupted while planning; no job was submitted'
    case 'submit':
      if (err instanceof JobCancelError) return `build interrupted while submitting; ${err.message}: it may run on the mesh`
      return state.jobStarted === true
        ? `build interrupted as the job started; job ${state.jobId ?? '?'} was cancelled on the mesh`
        : 'build interrupted while the node took the snapshot; no job was started'
    case 'job':
      if (err instanceof JobCancelError) return `build interrupted; ${err.message}: it may still be running on the mesh`
      return `build interrupted; job ${state.jobId ?? '?'} was cancelled on the mesh`
    case 'final':
      return 'build interrupted during the final local build (the job was done on the mesh)'
  }
}

/** What a second stop signal says as gmesh exits at once, without waiting for the node or Gradle. */
export function forcedExitMessage (state: BuildState): string {
  const left = state.stage === 'job' || state.stage === 'submit'
    ? state.jobId == null ? '; a job the node was starting may still run on the mesh' : `; job ${state.jobId} may still be running on the mesh`
    : ''
  return `interrupted again: exited at once${left}`
}

/** The plan as the summaries give it. */
export function planJson (plan: UnitPlan): { gradleVersion: string, requested: readonly string[], units: number, warnings: readonly string[] } {
  return { gradleVersion: plan.gradleVersion, requested: plan.requested, units: plan.units.length, warnings: plan.warnings }
}

/**
 * The `--json` document of a build refused before it started: a usage error (a bad option value, no Gradle project,
 * a task Gradle does not know), exit code 2. Its stage is `usage`: nothing ran.
 */
export function usageFailureJson (message: string): unknown {
  return { ok: false, exitCode: USAGE_EXIT_CODE, error: message, stage: 'usage', interrupted: false }
}

/** The `--json` document of a build that stopped before its summary: what the success document has, as far as it is known. */
export function buildFailureJson (state: BuildState, failure: BuildFailure): unknown {
  return {
    ok: false,
    exitCode: failure.exitCode,
    error: failure.message,
    stage: failure.stage,
    interrupted: failure.interrupted,
    ...(state.plan == null ? {} : { plan: planJson(state.plan) }),
    ...(state.jobId == null ? {} : { jobId: state.jobId }),
    ...(state.job == null ? {} : { job: state.job })
  }
}
