/**
 * The submitter's record of its jobs, for `gmesh build`, `gmesh status` and the control API:
 * units and their results, the terms granted, peers lost while a job ran, and how it ended.
 * It follows the protocol's commands; it decides nothing.
 */
import type { JobInfo, JobReport, JobState, NodeProgress, UnitInfo, UnitResultInfo } from '../../src/client/api-types.js'
import type { EventSink } from '../events/index.js'
import type { TestReportsRef } from './test-report-blob.js'
import { decodeUnitReport, describeFailure } from './unit-report.js'

export interface TrackedUnit { id: string, name: string, tasks: string[], dependsOn: string[] }

/** A test shard's reports: its unit, the worker that ran it and the blob there. */
export interface ShardReportRef { unitId: string, name: string, worker: string, ref: TestReportsRef }

interface TrackedJob {
  report: JobReport
  tasks: Map<string, string[]>
  startedMs: number
  endedMs?: number
  /** Called once when the job ends (to unpin its snapshot). */
  onEnd: () => void
}

const KEPT_ENDED_JOBS = 50

export class JobTracker {
  private readonly jobs = new Map<string, TrackedJob>()

  constructor (private readonly self: string, private readonly events?: EventSink, private readonly now: () => number = Date.now) {}

  add (id: string, init: { requested: string[], snapshot: JobReport['snapshot'], units: TrackedUnit[], onEnd: () => void }): void {
    const startedMs = this.now()
    const report: JobReport = {
      id, state: 'running', startedAt: new Date(startedMs).toISOString(), elapsedMs: 0, requested: init.requested, snapshot: init.snapshot,
      terms: [], lostPeers: [], units: init.units.map(u => ({ id: u.id, name: u.name, dependsOn: u.dependsOn }))
    }
    this.jobs.set(id, { report, tasks: new Map(init.units.map(u => [u.id, u.tasks])), startedMs, onEnd: init.onEnd })
    this.events?.emit({ type: 'job', jobId: id, state: 'running' })
    this.forgetOldJobs()
  }

  granted (jobId: string, term: number, leader: string): void {
    const job = this.running(jobId)
    job?.report.terms.push({ term, leader, atMs: this.now() - job.startedMs })
  }

  /** A peer left the mesh: noted on every running job. */
  peerLost (peer: string): void {
    for (const job of this.jobs.values()) {
      if (job.report.state === 'running' && !job.report.lostPeers.includes(peer)) job.report.lostPeers.push(peer)
    }
  }

  /**
   * Every unit succeeded. A job with test shards is then `assembling` until the submitter has their
   * reports (`assembled`, or `assemblyFailed`); any other job is done.
   */
  /** A unit's result arrived while the job runs: its progress shows at once. */
  unitDone (jobId: string, unitId: string, summary: string): void {
    const unit = this.running(jobId)?.report.units.find(u => u.id === unitId)
    const result = decodeUnitReport(summary)
    if (unit != null && result != null) unit.result = resultInfo(result)
  }

  completed (jobId: string, results: ReadonlyMap<string, string>): void {
    const job = this.running(jobId)
    if (job == null) return
    for (const unit of job.report.units) {
      const summary = results.get(unit.id)
      const result = summary == null ? undefined : decodeUnitReport(summary)
      if (result != null) unit.result = resultInfo(result)
    }
    if (job.report.units.some(u => u.result?.testReports != null)) {
      job.report.state = 'assembling'
      this.events?.emit({ type: 'job', jobId, state: 'assembling' })
    } else {
      this.end(job, 'done')
    }
  }

  /** Where the test shards' reports of a job are: each shard unit with the worker that stored them. */
  testReportRefs (jobId: string): ShardReportRef[] {
    return (this.jobs.get(jobId)?.report.units ?? []).flatMap(unit => unit.result?.testReports == null
      ? []
      : [{ unitId: unit.id, name: unit.name, worker: unit.result.worker, ref: unit.result.testReports }])
  }

  /** The test shards' reports are in this node's store: the job is done. */
  assembled (jobId: string): void {
    const job = this.jobs.get(jobId)
    if (job?.report.state === 'assembling') this.end(job, 'done')
  }

  /** The test shards' reports could not be had: the job failed with `error`. */
  assemblyFailed (jobId: string, error: string): void {
    const job = this.jobs.get(jobId)
    if (job?.report.state !== 'assembling') return
    job.report.error = error
    this.end(job, 'failed')
  }

  failed (jobId: string, unitId: string, log: string): void {
    const job = this.running(jobId)
    if (job == null) return
    const result = decodeUnitReport(log)
    const unit = job.report.units.find(u => u.id === unitId)
    if (unit != null && result != null) unit.result = resultInfo(result)
    job.report.error = result == null ? `unit ${unit?.name ?? unitId} failed: ${log}` : describeFailure(result)
    this.end(job, 'failed')
  }

  /** Nobody could run the job (no node accepting builds): it failed with `reason`. */
  abandoned (jobId: string, reason: string): void {
    const job = this.running(jobId)
    if (job == null) return
    job.report.error = reason
    this.end(job, 'failed')
  }

  cancelled (jobId: string, reason: string): void {
    const job = this.running(jobId) ?? this.assembling(jobId)
    if (job == null) return
    job.report.error = reason
    this.end(job, 'cancelled')
  }

  /** Drops a job that never started (the protocol refused it): without ending it, so `onEnd` is not called. */
  forget (jobId: string): void { this.jobs.delete(jobId) }

  has (jobId: string): boolean { return this.jobs.has(jobId) }
  /** Running or assembling: not ended yet. */
  isRunning (jobId: string): boolean { return (this.running(jobId) ?? this.assembling(jobId)) != null }

  report (jobId: string): JobReport | undefined {
    const job = this.jobs.get(jobId)
    if (job == null) return undefined
    return { ...job.report, elapsedMs: (job.endedMs ?? this.now()) - job.startedMs }
  }

  /** Every job, newest first, as the control API lists them. */
  list (): JobInfo[] {
    return [...this.jobs.values()].reverse().map(job => this.info(job))
  }

  units (jobId: string): UnitInfo[] | undefined {
    const job = this.jobs.get(jobId)
    return job?.report.units.map(u => ({
      id: u.id, jobId, state: u.result == null ? (job.report.state === 'running' ? 'pending' : 'not run') : u.result.outcome,
      tasks: job.tasks.get(u.id) ?? [], attempts: u.result == null ? 0 : 1, ...(u.result == null ? {} : { node: u.result.worker })
    }))
  }

  private info (job: TrackedJob): JobInfo {
    const { report } = job
    const last = report.terms.at(-1)
    const done = report.units.filter(u => u.result?.outcome === 'success').length
    const failed = report.units.filter(u => u.result != null && u.result.outcome !== 'success').length
    const nodes = new Map<string, NodeProgress>()
    for (const unit of report.units) {
      if (unit.result == null) continue
      const progress = nodes.get(unit.result.worker) ?? { peerId: unit.result.worker, total: 0, done: 0, running: 0, failed: 0 }
      progress.total++
      if (unit.result.outcome === 'success') progress.done++
      else progress.failed++
      nodes.set(unit.result.worker, progress)
    }
    return {
      id: report.id, state: report.state, submitter: this.self, startedAt: report.startedAt, tasks: report.requested,
      units: { total: report.units.length, done, running: 0, queued: report.units.length - done - failed, failed },
      nodes: [...nodes.values()],
      ...(last == null ? {} : { leader: last.leader, term: last.term }),
      ...(report.error == null ? {} : { error: report.error })
    }
  }

  private running (jobId: string): TrackedJob | undefined {
    const job = this.jobs.get(jobId)
    return job?.report.state === 'running' ? job : undefined
  }

  private assembling (jobId: string): TrackedJob | undefined {
    const job = this.jobs.get(jobId)
    return job?.report.state === 'assembling' ? job : undefined
  }

  private end (job: TrackedJob, state: JobState): void {
    job.report.state = state
    job.endedMs = this.now()
    job.onEnd()
    this.events?.emit({ type: 'job', jobId: job.report.id, state })
  }

  private forgetOldJobs (): void {
    const ended = [...this.jobs.values()].filter(j => j.endedMs != null).sort((a, b) => (a.endedMs ?? 0) - (b.endedMs ?? 0))
    for (const job of ended.slice(0, Math.max(0, ended.length - KEPT_ENDED_JOBS))) this.jobs.delete(job.report.id)
  }
}

function resultInfo (report: ReturnType<typeof decodeUnitReport> & object): UnitResultInfo {
  const { unit: _unit, ...info } = report
  return info
}
