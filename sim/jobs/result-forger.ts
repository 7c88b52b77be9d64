import type { Effect, Millis, PeerId, Verdict } from '../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, jobsCodec } from '../../protocols/jobs/index.js'
import type { JobsMessage, UnitTicket } from '../../protocols/jobs/index.js'
import { signedResult } from './result-signing.js'

/** A tag no worker's secret gives (see `result-signing.ts`): a summary in another node's name the forger cannot sign. */
const FAKE_TAG = '0123456789abcdef'

/**
 * A leader that passes off results of its own making (the `forged-results` scenario): a node with more build slots
 * than any other, so submitters grant it their jobs, that leads honestly but, with every assignment it hands out,
 * tells the submitter the units are done, one kind of lie after the other: a success or a failure in the worker's name
 * (which it cannot sign), a real result of another unit as a success or a failure of this one, a success or a failure
 * signed by a key it made up (a peer that never bid). Only results a worker of the job vouches for count, so none of
 * it may end up recorded, fail a job, or keep a job from completing. (In its own name it could lie: a worker's word.)
 */
export class ResultForgingLeader extends JobsProtocol {
  /** A real result summary a worker sent this node (of some unit), for the replays. */
  private realSummary: { readonly unitId: string, readonly summary: string } | undefined
  private kind = 0
  forged = 0

  override onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    if (via === JOBS_PROTOCOL) {
      try {
        const m = jobsCodec.decode(bytes)
        if (m.type === 'result' && m.ok) this.realSummary = { unitId: m.unitId, summary: m.summary }
      } catch {}
    }
    return super.onMessage(from, via, bytes, now)
  }

  override drainEffects (): Effect[] {
    const effects = super.drainEffects()
    const out: Effect[] = []
    for (const e of effects) {
      if (e.kind !== 'send' || e.protocolId !== JOBS_PROTOCOL) continue
      const m = jobsCodec.decode(e.bytes)
      if (m.type !== 'assign') continue
      for (const t of m.tickets) {
        const lie = this.lieAbout(t, e.to)
        this.forged++
        out.push({ kind: 'send', to: t.submitter, protocolId: JOBS_PROTOCOL, bytes: jobsCodec.encode(lie) })
      }
    }
    return [...effects, ...out]
  }

  private lieAbout (t: UnitTicket, worker: PeerId): JobsMessage {
    const kind = this.kind++ % 6
    const inWorkersName = `${t.unitId}@${worker}#${FAKE_TAG}`
    const real = this.realSummary !== undefined && this.realSummary.unitId !== t.unitId ? this.realSummary.summary : inWorkersName
    // signed, but by a key it made up for the purpose: a peer that never bid on the job
    const madeUpKey = signedResult(`${this.self}-sybil`, t.jobId, t.unitId, kind === 4 ? 'ok' : 'failed')
    const lies: Array<[boolean, string]> = [[true, inWorkersName], [false, inWorkersName], [true, real], [false, real], [true, madeUpKey], [false, madeUpKey]]
    const [ok, summary] = lies[kind] as [boolean, string]
    return { type: 'result', jobId: t.jobId, unitId: t.unitId, ok, summary }
  }
}
