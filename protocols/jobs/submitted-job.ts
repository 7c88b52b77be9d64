import type { Millis, PeerId } from '../core/index.js'
import type { Bid } from './bids.js'
import { commitTo } from './commitment.js'
import type { Sha256 } from './commitment.js'
import type { JobSpec } from './dag.js'
import type { JobCommitment, JobsMessage } from './messages.js'
import type { ToldLeader } from './told-leader.js'

/** A job this node submitted: bids, the term it granted last, its leader's lease, and recorded results. */
export interface SubmittedJob {
  readonly spec: JobSpec
  /** The Merkle root over the units (announced, and told with every `leader`): workers run only units that match it. */
  readonly commitment: JobCommitment
  readonly unitIds: ReadonlySet<string>
  readonly bids: Map<PeerId, Bid>
  readonly results: Map<string, string>
  /**
   * Vouched reasons its leaders passed on, over every term, for each unit given back unrun, by the hash of each report
   * (`MAX_NOT_RUN` different ones fail the job): the same report passed on again is a replay, not another give-back.
   */
  readonly notRun: Map<string, Set<string>>
  /** Leaders whose lease lapsed: passed over while another bidder is available. */
  readonly lapsed: Set<PeerId>
  /** Every peer granted a term of the job: results are taken from them only. */
  readonly leaders: Set<PeerId>
  /** Leaders that passed on a result no worker vouches for: deposed, and neither granted a term nor listed again. */
  readonly forgers: Set<PeerId>
  term: number
  leader: PeerId | undefined
  /** When the leader was last heard (grant time, then every lease request of the current term). */
  lastHeard: Millis
  /** Results recorded since the current term was granted that its leader may not know of (see `ToldLeader`). */
  told: ToldLeader | undefined
  firstAnnounce: Millis
  lastAnnounce: Millis
  /** Since when the job has had no leader and no live bidder to grant a term to (undefined: it has one). */
  unledSince: Millis | undefined
  /** Peers that bid but are not producers this node trusts (their bids are ignored; counted for the abandon reason). */
  readonly untrustedBidders: Set<PeerId>
}

/** A job submitted at `now`, committed to its units: no bid, term, leader or result yet. */
export function newSubmittedJob (sha256: Sha256, spec: JobSpec, now: Millis): SubmittedJob {
  return {
    spec,
    commitment: commitTo(sha256, spec.units),
    unitIds: new Set(spec.units.map(u => u.id)),
    bids: new Map(), results: new Map(), notRun: new Map(), lapsed: new Set(), leaders: new Set(), forgers: new Set(), untrustedBidders: new Set(),
    term: 0, leader: undefined, lastHeard: now, told: undefined, firstAnnounce: now, lastAnnounce: now, unledSince: now
  }
}

/** The gossiped announce: the job's unit count and Merkle root. */
export function announce (job: SubmittedJob): JobsMessage {
  return { type: 'announce', jobId: job.spec.jobId, units: job.commitment.units, root: job.commitment.root }
}

/** Who leads the job now, with the commitment (for a worker that missed the announce). */
export function leaderNotice (job: SubmittedJob): JobsMessage {
  return { type: 'leader', jobId: job.spec.jobId, term: job.term, leader: job.leader as PeerId, units: job.commitment.units, root: job.commitment.root }
}

/**
 * Counts a vouched report of `unitId` given back unrun (see Submitter `onNotRun`) and returns how many different ones
 * the job has for it: a report passed on again counts once, so a leader cannot fail a job by replaying one give-back.
 */
export function countNotRun (sha256: Sha256, job: SubmittedJob, unitId: string, report: string): number {
  const hash = Array.from(sha256(new TextEncoder().encode(report)), b => b.toString(16).padStart(2, '0')).join('')
  const reports = job.notRun.get(unitId) ?? new Set<string>()
  job.notRun.set(unitId, reports.add(hash))
  return reports.size
}
