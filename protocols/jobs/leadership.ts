import { CodecError } from '../core/index.js'
import type { Millis, PeerId } from '../core/index.js'
import { sameCommitment, UnitTree } from './commitment.js'
import { InvalidJobError } from './dag.js'
import type { JobBook } from './job-book.js'
import { LeaderJob } from './leader-job.js'
import type { JobsMessage } from './messages.js'
import type { RoleContext } from './wire.js'

/**
 * The jobs this node leads: one `LeaderJob` per job, for the newest term it was granted. Only the job's
 * submitter grants, acknowledges leases and ends a job; a grant counts only for a job this node bid on
 * (so from a submitter it trusts, while it has build slots) that has not ended.
 */
export class Leadership {
  private readonly jobs = new Map<string, LeaderJob>()
  private readonly acting = new Set<string>()

  constructor (private readonly ctx: RoleContext, private readonly book: JobBook, private readonly accepts: (submitter: PeerId) => boolean) {}

  get size (): number { return this.jobs.size }

  get (jobId: string): LeaderJob | undefined { return this.jobs.get(jobId) }

  /**
   * A grant from the job's submitter: lead the job for that term (newer terms replace older ones, handing on the
   * results they took that the submitter has not acknowledged: its grant does not count them done). Returns whether it
   * was taken. Its units must be the ones the submitter committed to (announce or `leader`): workers check every
   * ticket against that commitment, and would take none from a leader of other units.
   */
  onGrant (from: PeerId, m: Extract<JobsMessage, { type: 'grant' }>, now: Millis): boolean {
    const known = this.book.get(m.jobId)
    if (!this.accepts(from) || this.book.hasEnded(m.jobId) || known?.submitter !== from) return false
    const current = this.jobs.get(m.jobId)
    if (current !== undefined && current.term >= m.term) return false
    // a grant of another number of units than announced is refused before its tree is hashed (never 0: see readUnitCount)
    if (m.units.length !== known.commitment.units) return false
    const tree = new UnitTree(this.ctx.sha256, m.units)
    if (!sameCommitment(tree.commitment, known.commitment)) return false
    try {
      this.jobs.set(m.jobId, new LeaderJob(this.ctx, m.jobId, m.term, from, m, now, tree, current?.unconfirmed))
    } catch (err) {
      if (err instanceof InvalidJobError) return false
      throw err
    }
    return true
  }

  onLeaseAck (from: PeerId, m: Extract<JobsMessage, { type: 'lease-ack' }>, now: Millis): void {
    const job = this.jobs.get(m.jobId)
    if (job === undefined || job.term !== m.term || job.submitter !== from) return
    job.onLeaseAck(m, now)
    this.note(job, now)
  }

  onHeld (from: PeerId, m: Extract<JobsMessage, { type: 'held' }>, now: Millis): void {
    this.jobs.get(m.jobId)?.onHeld(from, m.units, now)
  }

  /**
   * A worker's result: acknowledged when it counted (or the unit is done anyway). Not otherwise: the worker sends
   * it again, and a thief's result counts once its victim's report has let go of the unit.
   */
  onResult (from: PeerId, m: Extract<JobsMessage, { type: 'result' }>, now: Millis): void {
    const job = this.jobs.get(m.jobId)
    if (job === undefined) return
    if (job.onResult(from, m.unitId, m.ok, now, m.summary)) this.ctx.wire.send(from, { type: 'result-ack', jobId: m.jobId, unitId: m.unitId })
    this.note(job, now)
  }

  /** The submitter acknowledged a result this node passed on. */
  onResultAck (from: PeerId, m: Extract<JobsMessage, { type: 'result-ack' }>): void {
    const job = this.jobs.get(m.jobId)
    if (job !== undefined && job.submitter === from) job.confirmed(m.unitId)
  }

  /**
   * A unit given back unrun: each one its worker vouches for is passed on to the submitter, which counts them over
   * every term and fails the job at the `MAX_NOT_RUN`th. Returns true for one of a job this node submitted: the
   * caller hands it to the submitter role (a message to itself would read as a worker's, to this leader).
   */
  onNotRun (from: PeerId, m: Extract<JobsMessage, { type: 'not-run' }>, now: Millis): boolean {
    const job = this.jobs.get(m.jobId)
    if (job === undefined) return false
    const vouched = job.onNotRun(from, m.unitId, m.reason, now)
    if (vouched && job.submitter !== this.ctx.self) this.ctx.wire.send(job.submitter, m)
    this.note(job, now)
    return vouched && job.submitter === this.ctx.self
  }

  /** The job's submitter says it is over. */
  onEnded (from: PeerId, jobId: string): void {
    if (this.jobs.get(jobId)?.submitter === from) this.drop(jobId)
  }

  tick (now: Millis): void {
    for (const job of [...this.jobs.values()]) {
      try {
        job.tick(now)
      } catch (err) {
        // a message of this job that could not be encoded: its step is lost, not the other jobs'
        if (!(err instanceof CodecError)) throw err
      }
      this.note(job, now)
      if (job.expired(now)) this.drop(job.jobId)
    }
  }

  /** Tells the driver when this node starts or stops acting as a job's leader. */
  private note (job: LeaderJob, now: Millis): void {
    const acting = job.acting(now)
    if (acting === this.acting.has(job.jobId)) return
    if (acting) this.acting.add(job.jobId)
    else this.acting.delete(job.jobId)
    this.ctx.commands.push({ kind: 'leading', jobId: job.jobId, term: job.term, acting })
  }

  private drop (jobId: string): void {
    const job = this.jobs.get(jobId)
    if (job === undefined) return
    this.jobs.delete(jobId)
    if (this.acting.delete(jobId)) this.ctx.commands.push({ kind: 'leading', jobId, term: job.term, acting: false })
  }
}
