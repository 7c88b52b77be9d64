/**
 * Where a command's output goes may close under it (`gmesh demo | head -2` once head exits: EPIPE on the next write).
 * Unheard, that 'error' kills the process with a stack trace and skips every cleanup. Heard here, it aborts the
 * command's controller instead, so its normal stop path runs (Gradle and nodes stopped, temp directory removed), as a
 * program that gets SIGPIPE would stop; the command checks `gone()` to write nothing more there.
 */
import type { Writable } from 'node:stream'

/** The reason the controller is aborted with. */
export class OutputGoneError extends Error {
  static readonly code = 'ERR_OUTPUT_GONE'
  override name = 'OutputGoneError'
  constructor (override readonly cause: Error) {
    super(`its output was closed (${(cause as NodeJS.ErrnoException).code ?? cause.message})`)
  }
}

export interface OutputWatch {
  /** Whether the output failed: write nothing more to it. */
  gone: () => boolean
  /** The error it failed with, if it did. */
  error: () => OutputGoneError | undefined
}

/**
 * Aborts `controller` on the first error of `stream`. The listener stays for the life of the stream: an EPIPE may
 * come after the command's last write, and would crash the process if nobody heard it.
 */
export function abortWhenOutputGone (stream: Pick<Writable, 'on'>, controller: AbortController): OutputWatch {
  let failure: OutputGoneError | undefined
  stream.on('error', (err: Error) => {
    failure ??= new OutputGoneError(err)
    if (!controller.signal.aborted) controller.abort(failure)
  })
  return { gone: () => failure !== undefined, error: () => failure }
}
