/**
 * Submissions the node is still taking the snapshot of, by the id of the job each will start. The client picks that id
 * before it submits, so a Ctrl-C at any moment can name the job: a cancel that comes while the snapshot is taken stops
 * the submission, and no job starts.
 */

/** A job id already in use on this node (running, ended and still remembered, or being submitted). */
export class JobIdTakenError extends Error {
  static readonly code = 'ERR_JOB_ID_TAKEN'
  override name = 'JobIdTakenError'
  /** `usedBefore`: the id was a job's that ended (the jobs protocol still remembers it, the job list has let it go). */
  constructor (readonly jobId: string, usedBefore = false) {
    super(`job id ${jobId} is already in use on this node${usedBefore ? ' (a job that ended used it before)' : ''}: submit with another`)
  }
}

export class PendingSubmissions {
  private readonly pending = new Map<string, AbortController>()

  has (jobId: string): boolean { return this.pending.has(jobId) }

  /**
   * Registers a submission; the signal it returns aborts when the client goes (`clientGone`) or a cancel stops it.
   * Call `end` once the job has started or the submission failed.
   */
  begin (jobId: string, clientGone: AbortSignal): AbortSignal {
    if (this.pending.has(jobId)) throw new JobIdTakenError(jobId)
    const cancelled = new AbortController()
    this.pending.set(jobId, cancelled)
    return AbortSignal.any([clientGone, cancelled.signal])
  }

  end (jobId: string): void { this.pending.delete(jobId) }

  /** Stops the submission of `jobId` if one is under way (its job never starts); false if there is none. */
  cancel (jobId: string, reason: string): boolean {
    const submission = this.pending.get(jobId)
    if (submission === undefined) return false
    submission.abort(new Error(`cancelled before the job started: ${reason}`))
    return true
  }
}
