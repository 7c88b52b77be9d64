import type { PeerId } from '../core/index.js'

/**
 * What the jobs protocol asks its driver to do beyond the core effects. The core `Effect` union is
 * closed, so these come out of `JobsProtocol.drainCommands()`; drain both queues after every input.
 */
export type JobsCommand =
  /**
   * Run unit `unitId` of `jobId`, exactly as `submitter` submitted it (payload, cost, dependencies: checked against
   * the job's commitment); report `unitFinished` when it ends, also after a `cancelUnit` (its slot is taken until then).
   */
  | { readonly kind: 'runUnit', readonly jobId: string, readonly unitId: string, readonly payload: string, readonly submitter: PeerId, readonly cost: number, readonly dependsOn: readonly string[] }
  /** Every unit of a job this node submitted has a successful result (unit id -> result summary). */
  | { readonly kind: 'jobCompleted', readonly jobId: string, readonly results: ReadonlyMap<string, string> }
  /** A unit of a job this node submitted failed: reported once, with that unit's log. */
  | { readonly kind: 'jobFailed', readonly jobId: string, readonly unitId: string, readonly log: string }
  /** A job this node submitted ended unrun: no member offers build slots (`noSlotsMs`), or no live node bid for it in `noBidderMs`. */
  | { readonly kind: 'jobAbandoned', readonly jobId: string, readonly reason: string }
  /** This node became (or stopped being) the acting leader of a job (for status and metrics). */
  | { readonly kind: 'leading', readonly jobId: string, readonly term: number, readonly acting: boolean }
  /**
   * The job ended while this node ran one of its units: stop it (its result is no longer wanted), and report
   * `unitFinished` (any outcome) once the run is over: the unit keeps its slot until then.
   */
  | { readonly kind: 'cancelUnit', readonly jobId: string, readonly unitId: string }
  /** This node, leading the job, took a unit back from `from` (silent, dead, or no longer holding it) to assign it again. */
  | { readonly kind: 'requeued', readonly jobId: string, readonly unitId: string, readonly from: PeerId }
  /** This node, the job's submitter, recorded the first successful result of a unit (progress, before the job ends). */
  | { readonly kind: 'unitDone', readonly jobId: string, readonly unitId: string, readonly summary: string }
  /**
   * A leader or a steal victim, `from`, handed this node `tickets` tickets that are not units as their submitter
   * submitted them (their Merkle proof fails): refused, never run, the message rejected (for logs and metrics).
   */
  | { readonly kind: 'forgedTickets', readonly from: PeerId, readonly tickets: number }
  /**
   * This node, the job's submitter, refused a result of `unitId` that `from`, a leader of the job, passed on although no
   * worker vouches for it (see `resultAuthor`): the message is rejected and `from` deposed (for logs and metrics).
   */
  | { readonly kind: 'forgedResult', readonly jobId: string, readonly unitId: string, readonly from: PeerId }
  /** This node, the job's submitter, granted term `term` to `leader` (for the build's report). */
  | { readonly kind: 'granted', readonly jobId: string, readonly term: number, readonly leader: PeerId }

/** A FIFO of jobs commands, drained by the driver. */
export class JobsCommandQueue {
  private items: JobsCommand[] = []

  push (command: JobsCommand): void {
    this.items.push(command)
  }

  get length (): number {
    return this.items.length
  }

  drain (): JobsCommand[] {
    const out = this.items
    this.items = []
    return out
  }
}
