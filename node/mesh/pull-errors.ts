/** A replica pull brought less than its share of its pusher's minimum rate over its last window (`PullPace`). */
export class PullTooSlowError extends Error {
  override readonly name = 'PullTooSlowError'
  constructor (readonly bytes: number, readonly needed: number) { super(`replica pull brought ${bytes} bytes in its last window, under its share of ${needed}`) }
}

/** A replica pull ran past its absolute deadline (`pullDeadlineMs`). */
export class PullDeadlineError extends Error {
  override readonly name = 'PullDeadlineError'
  constructor (readonly at: number, readonly size: number) { super(`replica pull of ${size} bytes not done by its absolute deadline`) }
}
