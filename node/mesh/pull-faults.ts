import { provesCorrupt } from './verified-body.js'

/**
 * How a replica pull that did not store its entry ended, for `pullFault`: its header's answer, or the error it threw
 * and where (`opening`: while it dialled and waited for the header; `body`: the body's stream threw it, not the store),
 * and whether the pace judged it then (`judged`).
 */
export type PullEnd =
  | { readonly kind: 'header', readonly reason: 'busy' | 'missing' | 'changed' | 'wrong' }
  | {
    readonly kind: 'error', readonly err: unknown, readonly opening: boolean, readonly body: boolean, readonly judged: boolean,
    readonly stopping: boolean
  }

/** The errors of a pull that only its pusher causes: a header not in time, a body stalled, bigger than any entry, or not framed. */
const PUSHER_ERRORS = new Set(['DeadlineExceededError', 'BodyStalledError', 'BodyTooLargeError', 'InvalidFrameError', 'FrameTooLargeError'])

/**
 * Whether a pull's end is its pusher's fault (`PullCooldowns`). Yes: too slow for its pace or past its deadline, a
 * header late or wrong, a body stalled, bytes proving another entry (`provesCorrupt`). No: an honest answer (`busy`:
 * its upload slots are full; `missing`: it let the entry go; `changed`: its key was PUT again with other bytes since
 * the offer, `checkReplicaPullHeader`), this node stopping, this node's store failing (a full disk is not the pusher's
 * doing), a stream reset or ended before the pace judges the pull. A reset is free to send:
 * counted never, a pusher could trickle through every free window and reset just before its first judgement; counted
 * always, a pusher's restart or a dropped connection cooled it. So it counts once the pull is judged (mid-body, after
 * its free first window, when the pace would cut it anyway if it were slow). Before that it is an early end
 * (`endedEarly`), a fault only once its pusher repeats it (`EarlyResets`): a pull holds its slot at most the header's
 * time and one window, and the slots kept for pushers with a record (`ReplicaPuller`) stay theirs.
 */
export function pullFault (end: PullEnd): boolean {
  if (end.kind === 'header') return end.reason === 'wrong'
  const { err } = end
  if (end.stopping) return false
  if (err instanceof PullTooSlowError || err instanceof PullDeadlineError || provesCorrupt(err)) return true
  if (PUSHER_ERRORS.has((err as { name?: unknown })?.name as string)) return true
  return end.body && end.judged
}

/**
 * Whether a pull that is not its pusher's fault (`pullFault`) ended early, by its stream: reset or closed before its
 * header, or in the body before the pace judged it. Not an honest answer (`busy`, `missing`), this node stopping, or
 * its store failing. One is no fault (a dropped connection, a restart); its pusher repeating it is (`EarlyResets`).
 */
export function endedEarly (end: PullEnd): boolean {
  if (end.kind !== 'error' || end.stopping || pullFault(end)) return false
  return end.opening || end.body
}

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
