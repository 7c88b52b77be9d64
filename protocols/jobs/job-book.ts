import type { Millis, PeerId } from '../core/index.js'
import { BoundedMap } from './bounded.js'
import { sameCommitment } from './commitment.js'
import type { JobCommitment } from './messages.js'

/**
 * A job this node takes part in: its submitter (the author of its announce), the commitment to its units that
 * submitter made (every ticket is checked against it), and the leader that submitter named.
 */
export interface KnownJob {
  readonly submitter: PeerId
  readonly commitment: JobCommitment
  /** The leader of `term` as the submitter said (a `leader` notice, or its grant to this node); undefined before the first. */
  leader: PeerId | undefined
  term: number
}

/** Jobs of other submitters a node may know at once (it bid on them); the oldest are forgotten past this. */
export const MAX_KNOWN_JOBS = 4096
/** Ended jobs a node remembers (to refuse their late tickets, grants and announces). */
export const MAX_ENDED_JOBS = 1024
/** Unknown jobs a node remembers having asked about (see `shouldAsk`). */
const MAX_ASKED = 256

/**
 * What a node knows about jobs, from messages whose sender is authenticated (the gossip author, the stream's
 * remote peer): who submitted each job it bid on and what units it committed to (only the submitter says so: its
 * announce, or its `leader` notice), who leads it (only the submitter says so), and which ended (only the
 * submitter says so). Everything is bounded: peers choose the job ids.
 */
export class JobBook {
  private readonly jobs = new BoundedMap<string, KnownJob>(MAX_KNOWN_JOBS)
  private readonly ended = new BoundedMap<string, true>(MAX_ENDED_JOBS)
  private readonly asked = new BoundedMap<string, Millis>(MAX_ASKED)

  get (jobId: string): KnownJob | undefined { return this.jobs.get(jobId) }

  get size (): number { return this.jobs.size }

  hasEnded (jobId: string): boolean { return this.ended.has(jobId) }

  /**
   * This node bid on (or submitted) `jobId` of `submitter`, which committed to `commitment`. False if the job is over,
   * or known with another submitter or commitment (the first one the submitter made stays).
   */
  join (jobId: string, submitter: PeerId, commitment: JobCommitment): boolean {
    if (this.ended.has(jobId)) return false
    const known = this.jobs.get(jobId)
    if (known !== undefined) return known.submitter === submitter && sameCommitment(known.commitment, commitment)
    this.jobs.set(jobId, { submitter, commitment, leader: undefined, term: 0 })
    return true
  }

  /**
   * The submitter `from` says `leader` leads `jobId` (committed to `commitment`) for `term`. Returns the job when that
   * is news (a newer term), undefined when it is stale, the job is over, or `from` is not the job's submitter.
   */
  confirm (from: PeerId, jobId: string, term: number, leader: PeerId, commitment: JobCommitment): KnownJob | undefined {
    if (!this.join(jobId, from, commitment)) return undefined
    const job = this.jobs.get(jobId) as KnownJob
    if (job.leader !== undefined && term <= job.term) return undefined
    job.leader = leader
    job.term = term
    return job
  }

  /** The job's submitter said it is over. False (and nothing changes) if `from` is not that submitter. */
  end (from: PeerId, jobId: string): boolean {
    if (this.jobs.get(jobId)?.submitter !== from) return false
    this.jobs.delete(jobId)
    this.ended.set(jobId, true)
    return true
  }

  /** Whether to ask about `jobId` now: at most once per `everyMs` per job. */
  shouldAsk (jobId: string, now: Millis, everyMs: Millis): boolean {
    const last = this.asked.get(jobId)
    if (last !== undefined && now < last + everyMs) return false
    this.asked.delete(jobId)
    this.asked.set(jobId, now)
    return true
  }
}
