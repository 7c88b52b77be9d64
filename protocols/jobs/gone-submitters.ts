import type { Millis, PeerId } from '../core/index.js'
import type { RoleContext } from './wire.js'

/**
 * Which submitters a worker gives up on: those membership has held dead for `submitterGoneMs`. A dead submitter
 * acknowledges no result and ends no job, so without this its worker would send results again every
 * `resultRetryMs`, and run what it has queued, forever. One that restarts is live again at once (and answers a
 * result for the job it lost with `ended`); one wrongly held dead refutes long before the wait is up. A submitter
 * membership forgot after holding it dead stays dead here; one it never knew (or no membership) never counts as gone.
 */
export class GoneSubmitters {
  private readonly deadSince = new Map<PeerId, Millis>()

  constructor (private readonly ctx: RoleContext) {}

  /** Of `submitters` (those of the jobs a worker holds anything of), the ones gone now. Forgets the others. */
  gone (submitters: ReadonlySet<PeerId>, now: Millis): PeerId[] {
    for (const peer of this.deadSince.keys()) if (!submitters.has(peer)) this.deadSince.delete(peer)
    const gone: PeerId[] = []
    for (const peer of submitters) {
      if (peer === this.ctx.self) continue
      const status = this.ctx.view?.get(peer)?.status
      if (status !== undefined && status !== 'dead') {
        this.deadSince.delete(peer)
        continue
      }
      const since = this.deadSince.get(peer) ?? (status === 'dead' ? now : undefined)
      if (since === undefined) continue
      this.deadSince.set(peer, since)
      if (now - since >= this.ctx.config.submitterGoneMs) gone.push(peer)
    }
    return gone
  }
}
