/**
 * An exception thrown inside a seeded run, rethrown naming the seed, and the command line that replays the
 * run when one does (a run shaped by test hooks has none: the same call with the same seed replays it).
 * Without it a sweep or a test loop over seeds reports a stack trace and no way back to the run.
 */
export class SeededRunError extends Error {
  override name = 'SeededRunError'

  constructor (readonly seed: number, readonly replay: string | undefined, cause: unknown) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    super(`run with seed ${seed} threw ${what}; ${replay === undefined ? 'replay: the same call with the same seed' : `replay: ${replay}`}`, { cause })
  }
}

/** Runs `run`, rethrowing whatever it throws as a SeededRunError. */
export function withSeed<T> (seed: number, replay: string | undefined, run: () => T): T {
  try {
    return run()
  } catch (err) {
    throw new SeededRunError(seed, replay, err)
  }
}
