/**
 * Stop signals during `gmesh build` (see interrupts.ts): the first aborts the build, which then stops Gradle or
 * cancels its job on the node (within a few seconds) and says what it left behind; a second one exits at once,
 * saying what may still run on the mesh (and printing the `--json` document first).
 */
import { buildFailureJson, forcedExitMessage, INTERRUPTED_EXIT_CODE, type BuildState } from '../build/build-failure.js'
import { watchInterrupts } from './interrupts.js'

export interface BuildInterruptsOptions {
  /** Aborted by the first stop signal. */
  controller: AbortController
  state: BuildState
  /** Print the `--json` document on stdout before a forced exit. */
  json: boolean
  /** Ends the process (default process.exit). */
  exit?: (code: number) => void
}

/** Listens for stop signals until the returned function is called. */
export function watchBuildInterrupts (options: BuildInterruptsOptions): () => void {
  const { controller, state } = options
  return watchInterrupts({
    controller,
    stopping: signal => `${signal}: stopping the build${state.stage === 'job' ? ` and cancelling job ${state.jobId ?? '?'} on the mesh` : ''}`,
    gradlePid: () => state.gradlePid,
    sayForcedExit: () => {
      const message = forcedExitMessage(state)
      if (options.json) {
        const failure = { stage: state.stage, interrupted: true, exitCode: INTERRUPTED_EXIT_CODE, message }
        process.stdout.write(`${JSON.stringify(buildFailureJson(state, failure), null, 2)}\n`)
      }
      process.stderr.write(`gmesh: ${message}\n`)
    },
    ...(options.exit == null ? {} : { exit: options.exit })
  })
}
