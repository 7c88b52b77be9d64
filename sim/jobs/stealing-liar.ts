import type { Effect, Millis, PeerId, TimerKey, Verdict } from '../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, jobsCodec } from '../../protocols/jobs/index.js'
import type { JobsMessage, JobsOptions, UnitTicket } from '../../protocols/jobs/index.js'
import { signedResult } from './result-signing.js'

const LIE_TIMER = 'steal-and-lie'
/** How often it asks every node for work and repeats its reports and results. */
const LIE_EVERY_MS = 500
/** Units it asks each node for: more than any node gives (half its queue, one message's worth). */
const WANT = 64

/**
 * A node with no build slots that steals and lies (the `stealing-liar` scenario): it never bids, so no submitter takes
 * a result in its name, but every `LIE_EVERY_MS` it asks every node for work, reports every ticket it got `held` to
 * the ticket's leader, and sends that leader a success it signed itself for each, running none of them. A leader that
 * believed it would pass on results its submitter refuses (and be deposed for it), and hand out units whose inputs
 * nobody built.
 */
export class StealingLiar extends JobsProtocol {
  /** Tickets it was given, by `jobId/unitId`. */
  private readonly stolen = new Map<string, UnitTicket>()
  private readonly lies: Effect[] = []

  constructor (options: JobsOptions, private readonly peers: readonly PeerId[]) {
    super({ ...options, slots: 0 })
  }

  /** Tickets it was given so far. */
  get stole (): number { return this.stolen.size }

  override start (now: Millis): void {
    super.start(now)
    this.lies.push({ kind: 'setTimer', key: LIE_TIMER, at: now + LIE_EVERY_MS })
  }

  override onTimer (key: TimerKey, now: Millis): void {
    if (key !== LIE_TIMER) {
      super.onTimer(key, now)
      return
    }
    for (const peer of this.peers) if (peer !== this.self) this.send(peer, { type: 'steal', want: WANT })
    for (const { jobId, unitId, leader, term } of this.stolen.values()) {
      const units = [...this.stolen.values()].filter(t => t.jobId === jobId).map(t => t.unitId)
      this.send(leader, { type: 'held', jobId, term, units })
      this.send(leader, { type: 'result', jobId, unitId, ok: true, summary: signedResult(this.self, jobId, unitId, 'ok') })
    }
    this.lies.push({ kind: 'setTimer', key: LIE_TIMER, at: now + LIE_EVERY_MS })
  }

  override onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    const m = via === JOBS_PROTOCOL ? decoded(bytes) : undefined
    if (m?.type !== 'stolen') return super.onMessage(from, via, bytes, now)
    for (const t of m.tickets) this.stolen.set(`${t.jobId}/${t.unitId}`, t)
    return 'accept'
  }

  override drainEffects (): Effect[] {
    return [...super.drainEffects(), ...this.lies.splice(0)]
  }

  private send (to: PeerId, m: JobsMessage): void {
    this.lies.push({ kind: 'send', to, protocolId: JOBS_PROTOCOL, bytes: jobsCodec.encode(m) })
  }
}

function decoded (bytes: Uint8Array): JobsMessage | undefined {
  try {
    return jobsCodec.decode(bytes)
  } catch {
    return undefined
  }
}
