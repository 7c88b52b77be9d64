import type { TrustPolicy } from '../cache/trust.js'
import { CodecError } from '../core/index.js'
import type { Millis, PeerId, Verdict } from '../core/index.js'
import { bestBidder, cappedBid, grantWorkers } from './bids.js'
import type { Bid } from './bids.js'
import { BoundedMap } from './bounded.js'
import { topologicalOrder } from './dag.js'
import type { JobSpec } from './dag.js'
import { MAX_ENDED_JOBS } from './job-book.js'
import { MAX_GRANT_WORKERS, assertGrantFits } from './job-size.js'
import type { JobCommitment, JobsMessage } from './messages.js'
import { whyNobodyRuns } from './nobody-to-run.js'
import { MAX_NOT_RUN } from './unit-table.js'
import { ToldLeader } from './told-leader.js'
import { announce, countNotRun, leaderNotice, newSubmittedJob } from './submitted-job.js'
import type { SubmittedJob } from './submitted-job.js'
import { knownLive, resultClaim } from './wire.js'
import type { ResultClaim, RoleContext } from './wire.js'


/**
 * The submitter's side of a job: announce, collect bids, grant terms by a deterministic rule over
 * bids (most free slots, then most slots, then smallest peer id), watch the leader's lease and grant
 * the next term when it lapses, record every unit result, and report the outcome once.
 *
 * Single granter per job: every term is granted once, to one peer, so at most one leader exists
 * per (job, term). A new term is granted only after `leaseMs + leaseMarginMs` without a lease
 * request, and a leader acts only within `leaseMs` of a request the submitter acknowledged, so an
 * old leader has stopped acting before the next one starts. Each grant is also told to every bidder
 * (`leader`): workers take units only from the leader the submitter named.
 *
 * Results are recorded only from the job's leaders (or this node's own worker): only a leader knows
 * which worker was given a unit, and it passes on a result only from such a worker. With a driver that can tell
 * (`resultAuthor`), only results a worker of the job (a bidder) vouches for (signed) are recorded: a leader that passes
 * on one of its own making in another's name, or in a name that never bid, is refused and deposed, and never leads or
 * works on the job again. What a bidder vouches for in its own name is its word (a worker that lies is not caught).
 *
 * The announce (gossip, signed by this node) commits to every unit: the root of a Merkle tree over them
 * (`commitment.ts`), told again with every `leader` notice. A worker runs a unit only with a proof that it is one
 * of those units exactly, so neither a leader nor a steal victim can make it run anything else in this node's name.
 */
export class Submitter {
  private readonly jobs = new Map<string, SubmittedJob>()
  private readonly ended = new BoundedMap<string, boolean>(MAX_ENDED_JOBS)

  /**
   * `ownSlots`: the build slots this node offers (its membership load), whether or not it accepts its own jobs.
   * `trust`: only producers it admits (`--trust-producers`) may bid, lead or work: the final build takes cache entries
   * from those alone, and skips sharded test tasks on the strength of their reports.
   */
  constructor (private readonly ctx: RoleContext, private readonly ownSlots: () => number = () => 0, private readonly trust?: TrustPolicy) {}

  get activeJobs (): number { return this.jobs.size }

  /** Throws `InvalidJobError` for a bad DAG or one too large to grant; a job id already used is ignored (idempotent). */
  submit (spec: JobSpec, ownBid: Bid | undefined, now: Millis): void {
    topologicalOrder(spec.units)
    assertGrantFits(spec)
    if (this.jobs.has(spec.jobId) || this.ended.has(spec.jobId)) return
    const job = newSubmittedJob(this.ctx.sha256, spec, now)
    if (ownBid !== undefined) job.bids.set(this.ctx.self, ownBid)
    this.jobs.set(spec.jobId, job)
    this.ctx.wire.publish(announce(job))
  }

  /** Whether this node submitted `jobId` (running, or over and still remembered). */
  submitted (jobId: string): boolean {
    return this.jobs.has(jobId) || this.ended.has(jobId)
  }

  /** What this node committed to for a job it runs now (undefined once it is over). */
  commitmentOf (jobId: string): JobCommitment | undefined {
    return this.jobs.get(jobId)?.commitment
  }

  /**
   * A bid; one that comes once the job has a leader (a worker asking who leads) is answered with the leader. A bid
   * from a producer this node does not trust goes unanswered: never told the leader, that node takes no ticket.
   */
  onBid (from: PeerId, m: Extract<JobsMessage, { type: 'bid' }>): void {
    const job = this.jobs.get(m.jobId)
    if (job === undefined || m.slots === 0 || job.forgers.has(from)) return
    if (from !== this.ctx.self && this.trust !== undefined && !this.trust.mayProduce(from)) {
      if (job.untrustedBidders.size < MAX_GRANT_WORKERS) job.untrustedBidders.add(from)
      return
    }
    job.bids.set(from, cappedBid(m))
    job.lapsed.delete(from)
    if (job.leader !== undefined && job.leader !== from) this.ctx.wire.send(from, leaderNotice(job))
  }

  /** A lease request from the current leader is acknowledged; one for a job over or unknown here (restarted since) is answered `ended`. */
  onLease (from: PeerId, m: Extract<JobsMessage, { type: 'lease' }>, now: Millis): void {
    const job = this.jobs.get(m.jobId)
    if (job === undefined) {
      this.ctx.wire.send(from, { type: 'ended', jobId: m.jobId, ok: this.ended.get(m.jobId) ?? false })
      return
    }
    if (job.leader !== from || job.term !== m.term) return
    // held back while the leader has not acknowledged every result it was told of (see ToldLeader); one that leaves
    // them unacknowledged for a lease (an older node, a link losing them) is heard no more, and its term lapses
    const ack = job.told?.lease(m.at, now) !== false
    if (ack || (job.told?.heldFor(now) ?? 0) < this.ctx.config.leaseMs) job.lastHeard = Math.max(job.lastHeard, now)
    if (ack) this.leaseAck(job, m.at)
  }

  /** The current leader acknowledged a result it was told of: the lease request held back meanwhile is answered once it knows of all. */
  onResultAck (from: PeerId, m: Extract<JobsMessage, { type: 'result-ack' }>, now: Millis): void {
    const job = this.jobs.get(m.jobId)
    const heldLease = job?.leader === from ? job.told?.acknowledged(m.unitId) : undefined
    if (job === undefined || heldLease === undefined) return
    job.lastHeard = Math.max(job.lastHeard, now) // the lease acknowledged now must run out before the term may lapse
    this.leaseAck(job, heldLease)
  }

  private leaseAck (job: SubmittedJob, at: Millis): void {
    this.ctx.wire.send(job.leader as PeerId, { type: 'lease-ack', jobId: job.spec.jobId, term: job.term, at, workers: grantWorkers(job.bids) })
  }

  /**
   * Records a unit result (first one wins) from one of the job's leaders or this node's own worker, and
   * acknowledges it. A result from anyone else is acknowledged only once the unit is recorded (its worker
   * then stops sending it). A result for a job that is over is acknowledged and also answered `ended`: that
   * worker missed the gossiped end (a partition, say) and would otherwise run every unit it still has queued.
   * So is one for a job this node does not know: it restarted since (same peer id), and nobody is left to take it
   * (the caller hands this role no result of a job it knows as another node's: see JobsProtocol `othersJob`).
   * 'reject' for a leader's result no worker vouches for (a failure: a failed run's report, not one of a unit not run).
   */
  onResult (from: PeerId, m: Extract<JobsMessage, { type: 'result' }>, now: Millis): Verdict {
    const job = this.jobs.get(m.jobId)
    if (job === undefined) {
      this.ack(from, m)
      if (from !== this.ctx.self) this.ctx.wire.send(from, { type: 'ended', jobId: m.jobId, ok: this.ended.get(m.jobId) ?? false })
      return 'accept'
    }
    if (!job.unitIds.has(m.unitId)) return 'accept'
    if (job.results.has(m.unitId)) {
      this.ack(from, m)
      return 'accept'
    }
    if (from !== this.ctx.self && !job.leaders.has(from)) return 'accept'
    if (!this.vouchedByAWorker(job, resultClaim(m))) {
      this.depose(job, from, m.unitId)
      return 'reject'
    }
    this.ack(from, m)
    if (!m.ok) {
      this.ctx.commands.push({ kind: 'jobFailed', jobId: m.jobId, unitId: m.unitId, log: m.summary })
      this.finish(job, false)
      return 'accept'
    }
    job.results.set(m.unitId, m.summary)
    job.told?.recorded(from, m, now)
    this.ctx.commands.push({ kind: 'unitDone', jobId: m.jobId, unitId: m.unitId, summary: m.summary })
    if (job.results.size === job.spec.units.length) {
      this.ctx.commands.push({ kind: 'jobCompleted', jobId: m.jobId, results: job.results })
      this.finish(job, true)
    }
    return 'accept'
  }

  /**
   * The current leader passes on a unit given back unrun, with its worker's vouched report: the `MAX_NOT_RUN`th
   * different one over every term fails the job (leaders fail no unit for it; a replayed report counts once). `own`:
   * this node leads, its leader role hands it over. False for a `not-run` not meant for this role: from anyone else
   * (or self, not `own`), it is a worker's, to the leader role.
   */
  onNotRun (from: PeerId, m: Extract<JobsMessage, { type: 'not-run' }>, own = false): boolean {
    const job = this.jobs.get(m.jobId)
    if (job === undefined || (from === this.ctx.self) !== own || from !== job.leader) return false
    const claim = { jobId: m.jobId, unitId: m.unitId, outcome: 'not-run', summary: m.reason } as const
    if (!job.unitIds.has(m.unitId) || job.results.has(m.unitId) || !this.vouchedByAWorker(job, claim)) return true
    if (countNotRun(this.ctx.sha256, job, m.unitId, m.reason) < MAX_NOT_RUN) return true
    this.ctx.commands.push({ kind: 'jobFailed', jobId: m.jobId, unitId: m.unitId, log: m.reason })
    this.finish(job, false)
    return true
  }

  /**
   * Does a worker of the job vouch for this result: this node, or a peer that bid on the job (before it takes or steals
   * a unit; one deposed since too: a leader that listed it passes its results on in good faith)? Any key can sign, so
   * who signed matters: a leader vouches for its own runs, never in another name. Always, when the driver cannot tell.
   */
  private vouchedByAWorker (job: SubmittedJob, claim: ResultClaim): boolean {
    if (this.ctx.resultAuthor === undefined) return true
    const author = this.ctx.resultAuthor(claim)
    return author !== undefined && (author === this.ctx.self || job.bids.has(author) || job.forgers.has(author))
  }

  /** `from` passed on a result of `unitId` no worker vouches for: it leads no more (the next tick grants the next term). */
  private depose (job: SubmittedJob, from: PeerId, unitId: string): void {
    this.ctx.commands.push({ kind: 'forgedResult', jobId: job.spec.jobId, unitId, from })
    if (from === this.ctx.self) return
    job.forgers.add(from)
    job.leaders.delete(from)
    job.bids.delete(from)
  }

  /** Ends a running job as failed and tells the mesh (`ended`); false if it is not running. */
  cancel (jobId: string): boolean {
    const job = this.jobs.get(jobId)
    if (job === undefined) return false
    this.finish(job, false)
    return true
  }

  /** Results recorded so far for a job this node submitted. */
  resultsOf (jobId: string): ReadonlyMap<string, string> | undefined {
    return this.jobs.get(jobId)?.results
  }

  outcomeOf (jobId: string): boolean | undefined {
    return this.ended.get(jobId)
  }

  /** Leases, grants and announces of every job; one whose grant cannot be sent ends as abandoned, the others go on. */
  tick (now: Millis): void {
    for (const job of [...this.jobs.values()]) {
      try {
        this.step(job, now)
      } catch (err) {
        if (!(err instanceof CodecError)) throw err
        this.abandon(job, `its grant could not be sent to a leader: ${err.message}`)
      }
    }
  }

  private step (job: SubmittedJob, now: Millis): void {
    const { config } = this.ctx
    const nobody = this.nobodyToRun(job, now)
    if (nobody !== undefined) {
      this.abandon(job, nobody)
      return
    }
    if (job.leader === undefined) {
      if (job.bids.size > 0 && now >= job.firstAnnounce + config.bidWindowMs) this.grantNext(job, now)
      else if (now >= job.lastAnnounce + config.announceRetryMs) this.reannounce(job, now)
    } else if (now > job.lastHeard + config.leaseMs + config.leaseMarginMs || job.forgers.has(job.leader)) {
      job.lapsed.add(job.leader)
      this.grantNext(job, now)
    }
  }

  private ack (to: PeerId, m: Extract<JobsMessage, { type: 'result' }>): void {
    this.ctx.wire.send(to, { type: 'result-ack', jobId: m.jobId, unitId: m.unitId })
  }

  private reannounce (job: SubmittedJob, now: Millis): void {
    job.lastAnnounce = now
    this.ctx.wire.publish(announce(job))
  }

  /** Grants the next term to the best live bidder and tells the other bidders; with none, waits for bids (re-announcing). */
  private grantNext (job: SubmittedJob, now: Millis): void {
    const leader = this.pickLeader(job)
    job.leader = leader
    job.lastHeard = now
    job.told = leader === undefined ? undefined : new ToldLeader(this.ctx, leader)
    if (leader === undefined) {
      job.lapsed.clear()
      job.unledSince ??= now
      // every tick finds no leader while the only bidders are dead: ask again at the announce pace, not each tick
      if (now >= job.lastAnnounce + this.ctx.config.announceRetryMs) this.reannounce(job, now)
      return
    }
    job.unledSince = undefined
    job.term++
    const jobId = job.spec.jobId
    this.ctx.wire.send(leader, { type: 'grant', jobId, term: job.term, units: job.spec.units, done: [...job.results.keys()], workers: grantWorkers(job.bids) })
    job.leaders.add(leader)
    this.ctx.commands.push({ kind: 'granted', jobId, term: job.term, leader })
    for (const peer of job.bids.keys()) if (peer !== leader) this.ctx.wire.send(peer, leaderNotice(job))
  }

  /** Why a job without a leader or a live bidder ends now, if it does (see `whyNobodyRuns`). */
  private nobodyToRun (job: SubmittedJob, now: Millis): string | undefined {
    const { config } = this.ctx
    if (job.unledSince === undefined) return undefined
    const waited = now - job.unledSince
    if (waited < Math.min(config.noSlotsMs, config.noBidderMs) || this.pickLeader(job) !== undefined) return undefined
    return whyNobodyRuns(this.ctx, this.ownSlots(), job.term > 0, waited, job.untrustedBidders.size)
  }

  /** The best live bidder, passing over leaders whose lease lapsed (see `bestBidder`). */
  private pickLeader (job: SubmittedJob): PeerId | undefined {
    return bestBidder(job.bids, peer => !job.lapsed.has(peer) && knownLive(this.ctx, peer))
  }

  /** Ends a job nobody can run: nobody offers build slots, no live node bid for it in `noBidderMs`, or it cannot be granted. */
  private abandon (job: SubmittedJob, reason: string): void {
    this.ctx.commands.push({ kind: 'jobAbandoned', jobId: job.spec.jobId, reason })
    this.finish(job, false)
  }

  private finish (job: SubmittedJob, ok: boolean): void {
    this.jobs.delete(job.spec.jobId)
    this.ended.set(job.spec.jobId, ok)
    this.ctx.wire.publish({ type: 'ended', jobId: job.spec.jobId, ok })
  }
}
