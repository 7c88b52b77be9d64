import { CodecError, EffectQueue } from '../core/index.js'
import type { Effect, Millis, PeerId, SansIoProtocol, TimerKey, Verdict } from '../core/index.js'
import { TrustPolicy } from '../cache/trust.js'
import type { Load, MembershipView } from '../membership/index.js'
import { JobsCommandQueue } from './commands.js'
import type { JobsCommand } from './commands.js'
import type { Sha256 } from './commitment.js'
import { DEFAULT_JOBS_CONFIG } from './config.js'
import type { JobsConfig } from './config.js'
import type { JobSpec } from './dag.js'
import { JobBook } from './job-book.js'
import type { LeaderJob } from './leader-job.js'
import { Leadership } from './leadership.js'
import { JOBS_PROTOCOL, JOBS_TOPIC, allowedOn, jobsCodec } from './messages.js'
import type { JobsMessage } from './messages.js'
import { Submitter } from './submitter.js'
import { ofOneJob } from './ticket-batches.js'
import { Worker } from './worker.js'
import type { UnitOutcome } from './worker.js'
import type { ResultClaim, RoleContext } from './wire.js'

export interface JobsOptions {
  readonly self: PeerId
  /**
   * SHA-256, synchronous (node: `data => crypto.hash('sha256', data, 'buffer')`): the Merkle commitment to a job's
   * units, which workers check every ticket against. Injected, so the protocol stays free of runtime modules.
   */
  readonly sha256: Sha256
  /** Build slots offered (`--slots`); 0 unless the node runs with `--accept-builds`. */
  readonly slots: number
  readonly trust?: TrustPolicy
  /** Membership's view: liveness of workers and leaders, load for stealing. */
  readonly view?: MembershipView
  readonly config?: Partial<JobsConfig>
  /**
   * How fast this node builds, in ms per unit of cost, if it knows before it has run a unit (a
   * calibration, or its history); its own runs refine it. Leaders place critical units by it.
   */
  readonly speedHint?: number
  /**
   * The worker that vouches for a result (the driver's summary format: a real node checks the worker's signature),
   * if the driver can tell. Leaders then take a result only from the worker that vouches for it, and the submitter
   * records only results some worker vouches for: a leader cannot pass off results (or failures) of its own making.
   */
  readonly resultAuthor?: (claim: ResultClaim) => PeerId | undefined
}

const TICK_TIMER = 'jobs/tick'
/** Bound on self-addressed messages handled within one input (a protocol bug guard, never hit in practice). */
const MAX_LOCAL_HOPS = 10_000

/**
 * Distributed builds, sans IO: one instance per node plays the submitter (jobs it submits), the
 * leader (jobs whose current term it was granted) and the worker (its build slots). Gossip
 * (`JOBS_TOPIC`: announce, ended) and direct frames (`JOBS_PROTOCOL`: everything else) come
 * in through `onMessage`; the single timer `jobs/tick` drives leases, reports, retries, steals and
 * speculation. Local commands: `submitJob`, `unitFinished`. After every input drain both
 * `drainEffects()` and `drainCommands()` (`runUnit`, `jobCompleted`, `jobFailed`, `leading`).
 * Messages to itself (a submitter that is also the leader or a worker) are handled in place.
 *
 * Who may say what: `from` is authenticated by the driver (the gossip message's signed author, the stream's
 * remote peer), and every role checks it: only a job's submitter grants, acknowledges leases, names leaders and
 * ends the job; a worker takes units only from the leader its submitter named; a leader takes results only from
 * the unit's workers, and the submitter only from its leaders. A message type on the wrong channel is rejected.
 * What a worker runs is checked too: the submitter's announce commits to every unit (a Merkle root), and a ticket
 * (from a leader or a steal victim) that is not one of those units exactly is refused, its message rejected.
 */
export class JobsProtocol implements SansIoProtocol {
  readonly topics = [JOBS_TOPIC] as const
  readonly protocolIds = [JOBS_PROTOCOL] as const
  readonly config: JobsConfig
  readonly submitter: Submitter
  readonly leadership: Leadership
  readonly worker: Worker
  /** What this node knows of other nodes' jobs: submitters, leaders, ended jobs (all bounded). */
  readonly book = new JobBook()
  private readonly effects = new EffectQueue()
  private readonly commands = new JobsCommandQueue()
  private readonly inbox: JobsMessage[] = []
  private running = false
  private tickArmed = false
  rejected = 0

  constructor (private readonly options: JobsOptions) {
    this.config = { ...DEFAULT_JOBS_CONFIG, ...options.config }
    const ctx: RoleContext = {
      self: options.self,
      config: this.config,
      sha256: options.sha256,
      commands: this.commands,
      view: options.view,
      resultAuthor: options.resultAuthor,
      wire: {
        send: (to, message) => { this.sendMessage(to, message) },
        publish: message => {
          this.effects.publish(JOBS_TOPIC, jobsCodec.encode(message))
          // Gossip does not come back to its sender: this node's own worker and leader learn of the end here.
          if (message.type === 'ended') this.inbox.push(message)
        }
      }
    }
    const trust = options.trust ?? new TrustPolicy()
    this.submitter = new Submitter(ctx, () => this.worker.slots, trust)
    this.worker = new Worker(ctx, Math.max(0, options.slots), trust, this.book, options.speedHint)
    this.leadership = new Leadership(ctx, this.book, submitter => this.worker.accepts(submitter))
  }

  get self (): PeerId { return this.options.self }

  /** What membership should gossip as this node's load. */
  load (cacheBytes = 0): Load {
    return { capacity: this.worker.slots, running: this.worker.runningCount, queued: this.worker.queuedCount, cacheBytes }
  }

  start (now: Millis): void {
    this.running = true
    this.armTick(now)
  }

  /** Stops handling input; no unit starts any more, even when the driver reports one finished while it stops. */
  stop (_now: Millis): void {
    this.running = false
    this.worker.stop()
  }

  /** Submits a job from this node; throws `InvalidJobError` for a bad DAG or one too large to grant (`JobTooLargeError`). */
  submitJob (spec: JobSpec, now: Millis): void {
    const slots = this.worker.accepts(this.self) ? this.worker.slots : 0
    this.submitter.submit(spec, slots > 0 ? { slots, free: this.worker.freeSlots(), usPerCost: this.worker.usPerCost() } : undefined, now)
    const commitment = this.submitter.commitmentOf(spec.jobId)
    if (slots > 0 && commitment !== undefined) this.book.join(spec.jobId, this.self, commitment)
    this.settle(now)
  }

  /** Ends a job this node submitted as failed without a unit failing (the user gave up); false if not running. */
  cancelJob (jobId: string, now: Millis): boolean {
    const cancelled = this.submitter.cancel(jobId)
    this.settle(now)
    return cancelled
  }

  /**
   * The driver's report for an earlier `runUnit`. `summary` is the result summary, or the failing task's log.
   * `not-run`: the unit could not even start here (fetching the snapshot failed, say): the leader runs it elsewhere.
   */
  unitFinished (jobId: string, unitId: string, outcome: UnitOutcome, summary: string, now: Millis): void {
    this.worker.finished(jobId, unitId, outcome, summary, now)
    this.settle(now)
  }

  onMessage (from: PeerId, via: string, bytes: Uint8Array, now: Millis): Verdict {
    if (!this.running || from === this.self) return 'ignore'
    let message: JobsMessage
    try {
      message = jobsCodec.decode(bytes)
    } catch (err) {
      if (!(err instanceof CodecError)) throw err
      this.rejected++
      return 'reject'
    }
    const channel = via === JOBS_TOPIC ? 'gossip' : via === JOBS_PROTOCOL ? 'direct' : undefined
    if (channel === undefined || !allowedOn(message.type, channel)) {
      this.rejected++
      return 'reject'
    }
    const verdict = this.dispatch(from, message, now)
    if (verdict === 'reject') this.rejected++
    this.settle(now)
    return verdict
  }

  onTimer (key: TimerKey, now: Millis): void {
    if (key !== TICK_TIMER || !this.running) return
    this.tickArmed = false
    this.submitter.tick(now)
    this.leadership.tick(now)
    this.worker.tick(now)
    this.settle(now)
  }

  drainEffects (): Effect[] {
    return this.effects.drain()
  }

  drainCommands (): JobsCommand[] {
    return this.commands.drain()
  }

  /**
   * Hands a message to its roles; 'reject' when it carried forged tickets (see Worker `take`), an assign of several
   * jobs (see `ofOneJob`), or a result no worker vouches for.
   */
  private dispatch (from: PeerId, m: JobsMessage, now: Millis): Verdict {
    switch (m.type) {
      case 'announce': this.worker.onAnnounce(from, m); break
      case 'ended': this.worker.onEnded(from, m.jobId, now); this.leadership.onEnded(from, m.jobId); break
      case 'bid': this.submitter.onBid(from, m); break
      case 'grant':
        // this node's worker takes units of the job from itself now
        if (this.leadership.onGrant(from, m, now)) {
          const { units, root } = (this.leadership.get(m.jobId) as LeaderJob).commitment
          this.worker.onLeader(from, { type: 'leader', jobId: m.jobId, term: m.term, leader: this.self, units, root }, now)
        }
        break
      case 'lease': this.submitter.onLease(from, m, now); break
      case 'lease-ack': this.leadership.onLeaseAck(from, m, now); break
      case 'leader': this.worker.onLeader(from, m, now); break
      case 'assign': return !ofOneJob(m.tickets) || this.worker.take(from, m.tickets, true, now) > 0 ? 'reject' : 'accept'
      case 'held': this.leadership.onHeld(from, m, now); break
      case 'result': {
        const verdict = this.othersJob(m.jobId) ? 'accept' : this.submitter.onResult(from, m, now)
        this.leadership.onResult(from, m, now)
        return verdict
      }
      case 'not-run':
        if (!this.submitter.onNotRun(from, m) && this.leadership.onNotRun(from, m, now)) this.submitter.onNotRun(this.self, m, true)
        break
      case 'result-ack': this.worker.onResultAck(from, m); this.leadership.onResultAck(from, m); this.submitter.onResultAck(from, m, now); break
      case 'steal': this.worker.onSteal(from, m.want, now); break
      case 'stolen': return this.worker.onStolen(from, m.tickets, now) > 0 ? 'reject' : 'accept'
    }
    return 'accept'
  }

  /**
   * Whether this node knows `jobId` as another node's job (it bid on it, leads or led it): a result of it is for the
   * leader role alone. The submitter role answers a result of a job it does not know with `ended` (it restarted since).
   */
  private othersJob (jobId: string): boolean {
    if (this.submitter.submitted(jobId)) return false
    return this.leadership.get(jobId) !== undefined || this.book.get(jobId) !== undefined || this.book.hasEnded(jobId)
  }

  private sendMessage (to: PeerId, message: JobsMessage): void {
    if (to === this.self) this.inbox.push(message)
    else this.effects.send(to, JOBS_PROTOCOL, jobsCodec.encode(message))
  }

  /** Handles self-addressed messages, then makes sure the tick timer runs while there is work. */
  private settle (now: Millis): void {
    for (let hops = 0; this.inbox.length > 0 && hops < MAX_LOCAL_HOPS; hops++) {
      this.dispatch(this.self, this.inbox.shift() as JobsMessage, now)
    }
    this.armTick(now)
  }

  private armTick (now: Millis): void {
    if (!this.running || this.tickArmed) return
    const busy = this.submitter.activeJobs > 0 || this.leadership.size > 0 || this.worker.busy
    const idleSteal = this.config.stealing && this.worker.slots > 0 && this.options.view !== undefined
    if (!busy && !idleSteal) return
    this.tickArmed = true
    this.effects.setTimer(TICK_TIMER, now + (busy ? this.config.tickMs : Math.max(this.config.tickMs, this.config.stealBackoffMs)))
  }
}
