import type { Effect, Millis, PeerId, Verdict } from '../../protocols/core/index.js'
import { JobsProtocol, JOBS_PROTOCOL, jobsCodec, ticketBatches, UnitTree } from '../../protocols/jobs/index.js'
import type { JobsOptions, JobSpec, UnitTicket } from '../../protocols/jobs/index.js'
import type { Load } from '../../protocols/membership/index.js'
import { isSteal } from './hollow-victim.js'

/**
 * Forged variants of a real ticket `t` of a job, each with `t`'s Merkle proof: its payload, dependencies or cost
 * changed, a unit id the job does not have; and a real unit of another job (`other`) with its own valid proof, passed
 * off as a unit of this one. A worker must run none of them.
 */
export function forgeriesOf (t: UnitTicket, other: UnitTicket | undefined): UnitTicket[] {
  const changed: UnitTicket[] = [
    { ...t, payload: String(Number(t.payload) * 3 + 1) },
    { ...t, dependsOn: t.dependsOn.length > 0 ? [] : [`${t.unitId}-input`] },
    { ...t, cost: t.cost + 1 }
  ]
  // a worker takes one ticket per unit: which change comes first varies, so each gets its turn
  const shift = t.index % changed.length
  const forged = [...changed.slice(shift), ...changed.slice(0, shift), { ...t, unitId: `${t.unitId}-forged` }]
  if (other !== undefined && other.jobId !== t.jobId) forged.push({ ...other, jobId: t.jobId, submitter: t.submitter, leader: t.leader, term: t.term })
  return forged
}

function sendAll (to: PeerId, type: 'assign' | 'stolen', tickets: readonly UnitTicket[], out: Effect[]): void {
  for (const batch of ticketBatches(tickets)) out.push({ kind: 'send', to, protocolId: JOBS_PROTOCOL, bytes: jobsCodec.encode({ type, tickets: batch }) })
}

/**
 * A leader that forges (the `forged-tickets` scenario): a node with more build slots than any other, so the
 * submitters grant it their jobs, that leads honestly but sends every worker, just before each real assignment,
 * forged versions of the tickets in it (see `forgeriesOf`), from itself, the leader the submitter named.
 */
export class ForgingLeader extends JobsProtocol {
  /** The last real ticket handed out of each job: passed off as a unit of the others. */
  private readonly lastReal = new Map<string, UnitTicket>()
  forged = 0

  override drainEffects (): Effect[] {
    const out: Effect[] = []
    for (const e of super.drainEffects()) {
      if (e.kind === 'send' && e.protocolId === JOBS_PROTOCOL) {
        const m = jobsCodec.decode(e.bytes)
        if (m.type === 'assign') {
          const forged = m.tickets.flatMap(t => forgeriesOf(t, [...this.lastReal.values()].find(o => o.jobId !== t.jobId)))
          for (const t of m.tickets) this.lastReal.set(t.jobId, t)
          this.forged += forged.length
          sendAll(e.to, 'assign', forged, out)
        }
      }
      out.push(e)
    }
    return out
  }
}

/**
 * A steal victim that forges (the `forged-tickets` scenario): it says in its load that it has a long queue, so idle
 * workers ask it for work, and answers every steal with forged tickets (see `forgeriesOf`) of the jobs it knows: the
 * job, submitter, leader and term right, the units taken from the submitted jobs themselves with valid Merkle proofs
 * (`specs`: it knows them all, as a node that led a job or watched one could), then changed.
 */
export class ForgingVictim extends JobsProtocol {
  private readonly out: Effect[] = []
  private readonly trees = new Map<string, UnitTree>()
  private cursor = 0
  forged = 0

  private readonly sha256: JobsOptions['sha256']

  constructor (options: JobsOptions, private readonly specs: ReadonlyMap<string, JobSpec>) {
    super(options)
    this.sha256 = options.sha256
  }

  override load (cacheBytes = 0): Load {
    const real = super.load(cacheBytes)
    return { ...real, queued: real.queued + 40 }
  }

  override onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    if (via === JOBS_PROTOCOL && from !== this.self && isSteal(bytes)) {
      this.answer(from)
      return 'accept'
    }
    return super.onMessage(from, via, bytes, now)
  }

  override drainEffects (): Effect[] {
    return [...super.drainEffects(), ...this.out.splice(0)]
  }

  private answer (thief: PeerId): void {
    const real: UnitTicket[] = []
    for (const [jobId, spec] of this.specs) {
      const job = this.book.get(jobId)
      if (job?.leader === undefined || this.book.hasEnded(jobId)) continue
      const index = this.cursor++ % spec.units.length
      const unit = spec.units[index]
      if (unit === undefined) continue
      const tree = this.trees.get(jobId) ?? this.trees.set(jobId, new UnitTree(this.sha256, spec.units)).get(jobId) as UnitTree
      const { cost, payload, dependsOn } = unit
      real.push({ jobId, unitId: unit.id, submitter: job.submitter, leader: job.leader, term: job.term, dependsOn, cost, payload, index, proof: tree.proof(index) })
    }
    const forged = real.flatMap(t => forgeriesOf(t, real.find(o => o.jobId !== t.jobId)))
    if (forged.length === 0) return
    this.forged += forged.length
    sendAll(thief, 'stolen', forged, this.out)
  }
}
