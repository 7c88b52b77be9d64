import type { Effect, Millis, PeerId, TimerKey, Verdict } from '../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, JOBS_TOPIC, jobsCodec } from '../../protocols/jobs/index.js'
import type { JobsMessage, JobsOptions } from '../../protocols/jobs/index.js'
import { signedResult } from './result-signing.js'

const FORGE_TIMER = 'forge'
/** After hearing a job announced, the forger strikes at these delays: before a leader exists, and while units run. */
const STRIKES_MS = [0, 600, 2000, 5000] as const

interface HeardJob { readonly jobId: string, readonly submitter: PeerId, readonly units: number, readonly heardAt: Millis, strikes: number }

/**
 * A mesh member that lies (the `forgers` scenario): it runs the honest protocol, and for every job it hears
 * announced it sends, to every node, on both channels: results claiming every unit done (`u<i>`, the
 * simulator's unit ids) in its own name, `ended` for the job, a grant of a far newer term, an assignment of a
 * unit in the submitter's name with itself as leader, and acknowledgements of every unit's result. None of
 * it may complete a job, stall one, or leave a node leading or holding anything once the jobs are over.
 */
export class Forger extends JobsProtocol {
  private readonly heard = new Map<string, HeardJob>()
  private readonly forged: Effect[] = []

  constructor (options: JobsOptions, private readonly peers: readonly PeerId[]) {
    super(options)
  }

  override onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    const verdict = super.onMessage(from, via, bytes, now)
    if (via === JOBS_TOPIC && verdict === 'accept') {
      const m = jobsCodec.decode(bytes)
      if (m.type === 'announce' && !this.heard.has(m.jobId)) {
        this.heard.set(m.jobId, { jobId: m.jobId, submitter: from, units: m.units, heardAt: now, strikes: 0 })
        this.strike(now)
      }
    }
    return verdict
  }

  override onTimer (key: TimerKey, now: Millis): void {
    if (key === FORGE_TIMER) this.strike(now)
    else super.onTimer(key, now)
  }

  override drainEffects (): Effect[] {
    return [...super.drainEffects(), ...this.forged.splice(0)]
  }

  /** Strikes every job whose next strike is due, then sets the timer for the next one. */
  private strike (now: Millis): void {
    let next = Infinity
    for (const job of this.heard.values()) {
      while (job.strikes < STRIKES_MS.length && now >= job.heardAt + (STRIKES_MS[job.strikes] as number)) {
        job.strikes++
        this.forge(job)
      }
      if (job.strikes < STRIKES_MS.length) next = Math.min(next, job.heardAt + (STRIKES_MS[job.strikes] as number))
    }
    if (next < Infinity) this.forged.push({ kind: 'setTimer', key: FORGE_TIMER, at: next })
  }

  private forge (job: HeardJob): void {
    const { jobId, submitter } = job
    const lies: JobsMessage[] = [
      { type: 'ended', jobId, ok: false },
      { type: 'grant', jobId, term: 1000 + job.strikes, units: [{ id: 'forged', dependsOn: [], cost: 1, payload: '1' }], done: [], workers: [{ peer: this.self, slots: 8, usPerCost: 1 }] },
      { type: 'assign', tickets: [{ jobId, unitId: 'u0', submitter, leader: this.self, term: 1000 + job.strikes, dependsOn: [], cost: 1, payload: '1', index: 0, proof: [] }] }
    ]
    for (let i = 0; i < job.units; i++) {
      // vouched for in its own name (any node can): only leaders' results count, so these must not
      lies.push({ type: 'result', jobId, unitId: `u${i}`, ok: true, summary: signedResult(this.self, jobId, `u${i}`, 'ok') })
      lies.push({ type: 'result-ack', jobId, unitId: `u${i}` })
    }
    for (const m of lies) {
      const bytes = jobsCodec.encode(m)
      this.forged.push({ kind: 'publish', topic: JOBS_TOPIC, bytes })
      for (const peer of this.peers) if (peer !== this.self) this.forged.push({ kind: 'send', to: peer, protocolId: JOBS_PROTOCOL, bytes })
    }
  }
}
