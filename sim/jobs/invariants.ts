import type { PeerId } from '../../protocols/core/index.js'
import { jobsCodec } from '../../protocols/jobs/index.js'
import type { JobsCommand, JobSpec } from '../../protocols/jobs/index.js'
import type { JobsObserver } from './harness.js'

export type JobsInvariant = 'one-leader-per-term' | 'accepting-nodes-only' | 'job-completes' | 'no-result-lost'

export interface JobsViolation {
  readonly invariant: JobsInvariant
  readonly at: number
  readonly detail: string
}

/**
 * Checks the jobs invariants while a run goes: at most one node hands out units per (job, term)
 * (read off the wire: every `assign` names its term), and no unit runs on a node without slots.
 * At the end: every job completed, and its recorded results cover every unit.
 */
export class JobsChecker implements JobsObserver {
  readonly violations: JobsViolation[] = []
  readonly completedAt = new Map<string, number>()
  readonly results = new Map<string, ReadonlyMap<string, string>>()
  readonly failed = new Set<string>()
  readonly leaders = new Map<string, PeerId>()
  runs = 0
  private readonly selfIds: readonly PeerId[]

  constructor (private readonly slots: readonly number[], peers: readonly PeerId[]) {
    this.selfIds = peers
  }

  onSend (from: number, _to: PeerId, bytes: Uint8Array, now: number): void {
    if (bytes[1] !== ASSIGN_TAG) return
    const message = jobsCodec.decode(bytes)
    if (message.type !== 'assign') return
    for (const ticket of message.tickets) this.noteLeader(ticket.jobId, ticket.term, this.selfIds[from] as PeerId, now)
  }

  onCommand (node: number, command: JobsCommand, now: number): void {
    switch (command.kind) {
      case 'runUnit':
        this.runs++
        if ((this.slots[node] ?? 0) === 0) this.violate('accepting-nodes-only', now, `${command.jobId}/${command.unitId} ran on ${this.selfIds[node] ?? node}, which has no build slots`)
        break
      case 'jobCompleted':
        this.completedAt.set(command.jobId, now)
        this.results.set(command.jobId, command.results)
        break
      case 'jobFailed':
      case 'jobAbandoned':
        this.failed.add(command.jobId)
        break
      case 'leading':
        if (command.acting) this.noteLeader(command.jobId, command.term, this.selfIds[node] as PeerId, now)
        break
    }
  }

  /** End of run: every job done, every unit with a recorded result. */
  checkEnd (jobs: readonly JobSpec[], now: number): void {
    for (const job of jobs) {
      const results = this.results.get(job.jobId)
      if (results === undefined) {
        this.violate('job-completes', now, `job ${job.jobId} did not complete in the liveness phase${this.failed.has(job.jobId) ? ' (reported failed)' : ''}`)
        continue
      }
      const missing = job.units.filter(u => results.get(u.id) === undefined)
      if (missing.length > 0) this.violate('no-result-lost', now, `job ${job.jobId} completed without results for ${missing.length} units (${missing.slice(0, 3).map(u => u.id).join(', ')})`)
    }
  }

  private noteLeader (jobId: string, term: number, peer: PeerId, now: number): void {
    const key = `${jobId}#${term}`
    const known = this.leaders.get(key)
    if (known === undefined) this.leaders.set(key, peer)
    else if (known !== peer) this.violate('one-leader-per-term', now, `job ${jobId} term ${term} has two acting leaders: ${known} and ${peer}`)
  }

  private violate (invariant: JobsInvariant, at: number, detail: string): void {
    if (this.violations.length < 100) this.violations.push({ invariant, at, detail })
  }
}

const ASSIGN_TAG = 7
