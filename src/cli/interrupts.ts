/**
 * Stop signals for a command that runs Gradle (and perhaps nodes) for a while: the first aborts its work, which then
 * stops Gradle and what else it started, and says what it left behind. A second one exits at once: whoever presses
 * Ctrl-C twice does not want to wait for a node or a Gradle that hangs. Gradle runs in a process group of its own,
 * which no signal reaches, so that exit kills the group of the Gradle running then.
 */
import { INTERRUPTED_EXIT_CODE } from '../build/build-failure.js'
import { onStopSignals } from './stop-signals.js'

export interface InterruptsOptions {
  /** Aborted by the first stop signal. */
  controller: AbortController
  /** The line the first signal prints (after `gmesh: `), saying what stops now. */
  stopping: (signal: NodeJS.Signals) => string
  /** The Gradle running now, whose process group a forced exit kills. */
  gradlePid: () => number | undefined
  /** Writes what a forced exit leaves behind, just before it (synchronous writes only). */
  sayForcedExit: () => void
  /** Ends the process (default process.exit). */
  exit?: (code: number) => void
}

/** Listens for stop signals until the returned function is called. */
export function watchInterrupts (options: InterruptsOptions): () => void {
  const { controller } = options
  return onStopSignals(signal => {
    if (!controller.signal.aborted) {
      process.stderr.write(`gmesh: ${options.stopping(signal)}; again to exit at once\n`)
      controller.abort(new Error('interrupted'))
      return
    }
    forceExit(options)
  })
}

/** Exits now with 130, killing the Gradle that runs (if any) first; writes are synchronous to files, pipes and terminals. */
function forceExit (options: InterruptsOptions): void {
  const pid = options.gradlePid()
  if (pid != null) {
    try { process.kill(-pid, 'SIGKILL') } catch { /* already gone */ }
  }
  options.sayForcedExit()
  ;(options.exit ?? process.exit)(INTERRUPTED_EXIT_CODE)
}
