/**
 * Stop signals during `gmesh build`. The first aborts the build, which then stops Gradle or cancels
 * its job on the node (within a few seconds) and says what it left behind. A second one exits at once:
 * whoever presses Ctrl-C twice does not want to wait for a node that hangs. Gradle runs in a process
 * group of its own, so that exit kills the group of the Gradle running then, which no signal reaches.
 */
import { buildFailureJson, forcedExitMessage, INTERRUPTED_EXIT_CODE, type BuildState } from '../build/build-failure.js'
import { onStopSignals } from './stop-signals.js'

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
  const onStop = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      process.stderr.write(`gmesh: ${signal}: stopping the build${state.stage === 'job' ? ` and cancelling job ${state.jobId ?? '?'} on the mesh` : ''}; again to exit at once\n`)
      controller.abort(new Error('interrupted'))
      return
    }
    forceExit(options)
  }
  return onStopSignals(onStop)
}

/** Exits now with 130, killing the Gradle that runs (if any) first; writes are synchronous to files, pipes and terminals. */
function forceExit (options: BuildInterruptsOptions): void {
  const { state } = options
  if (state.gradlePid != null) {
    try { process.kill(-state.gradlePid, 'SIGKILL') } catch { /* already gone */ }
  }
  const message = forcedExitMessage(state)
  if (options.json) {
    const failure = { stage: state.stage, interrupted: true, exitCode: INTERRUPTED_EXIT_CODE, message }
    process.stdout.write(`${JSON.stringify(buildFailureJson(state, failure), null, 2)}\n`)
  }
  process.stderr.write(`gmesh: ${message}\n`)
  ;(options.exit ?? process.exit)(INTERRUPTED_EXIT_CODE)
}
