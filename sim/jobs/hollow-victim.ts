import type { Millis, PeerId, Verdict } from '../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, jobsCodec } from '../../protocols/jobs/index.js'
import type { Load } from '../../protocols/membership/index.js'

/**
 * A neighbour that draws thieves and gives them nothing (the `hollow-victim` scenario): it says in its load that it
 * has a long queue, so idle workers ask it for work, and it never answers a steal. It runs its own units honestly.
 */
export class HollowVictim extends JobsProtocol {
  /** Steal requests it left unanswered. */
  asked = 0

  override load (cacheBytes = 0): Load {
    const real = super.load(cacheBytes)
    return { ...real, queued: real.queued + 40 }
  }

  override onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    if (via === JOBS_PROTOCOL && from !== this.self && isSteal(bytes)) {
      this.asked++
      return 'accept'
    }
    return super.onMessage(from, via, bytes, now)
  }
}

/** Whether a direct jobs frame is a steal request (an undecodable one is not). */
export function isSteal (bytes: Uint8Array): boolean {
  try {
    return jobsCodec.decode(bytes).type === 'steal'
  } catch {
    return false
  }
}
