import type { Millis, PeerId } from '../core/index.js'

/**
 * Units a worker's report left out although the worker was given them, each with when a report first left it out (see
 * LeaderJob `onHeld`): a thief may have the unit, and the thief's own report comes a hop later, so only a unit still
 * left out a while later goes back to the queue.
 */
export class MissingUnits {
  /** `peer unit` -> when the worker's report first left out a unit it was given. */
  private readonly since = new Map<string, Millis>()

  /** `peer` reported `id`, no longer holds it, or the unit is done: it is not missing. */
  found (peer: PeerId, id: string): void {
    this.since.delete(`${peer} ${id}`)
  }

  /**
   * `peer`'s report at `now` left out `id`: whether a report first left it out `afterMs` or more ago (never on the
   * first report that leaves it out, which is noted).
   */
  leftOut (peer: PeerId, id: string, now: Millis, afterMs: Millis): boolean {
    const key = `${peer} ${id}`
    const since = this.since.get(key)
    if (since === undefined) {
      this.since.set(key, now)
      return false
    }
    return now - since >= afterMs
  }
}
