/**
 * The lines `gmesh build` prints while its job runs: one per finished unit (`[done/total] :name done on …peer (s)`),
 * one per leader after the first term, per unit taken back from a worker and per peer lost mid-job.
 *
 * Two sources feed it. The job's report (polled by the build) is the truth: it holds every unit's result, whichever node
 * ran it, and every term. The node's event stream is faster but partial: its `unit` events are the units this node ran
 * itself, and `units-requeued` comes only while this node leads; so a unit is counted by its id once, from whichever
 * source names it first, and an event replayed after a reconnect, or missed, changes no count.
 */
import type { Writable } from 'node:stream'
import type { JobReport, NodeEvent, UnitResultInfo } from '../client/api-types.js'
import { shortId } from '../tui/format.js'

type Outcome = UnitResultInfo['outcome']

/** A peer as the summary names it; this node when its id is unknown (a ready file without one). */
const peerName = (peer: string): string => peer === '' ? 'this node' : shortId(peer)

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

const OUTCOME_WORDS: Record<Outcome, string> = { success: 'done', failed: 'FAILED', timeout: 'TIMED OUT', cancelled: 'cancelled', error: 'could not run' }

/** Outcomes after which the leader runs the unit again elsewhere (`not-run` to the jobs protocol): not finished. */
const RUN_AGAIN: ReadonlySet<Outcome> = new Set(['cancelled', 'error'])

export class BuildProgress {
  /** The job the lines are about: the client's pick before the node answers the submission, then the node's. */
  jobId: string | undefined
  private readonly finished = new Set<string>()
  private readonly leaders = new Set<number>()
  private readonly lost = new Set<string>()
  private unitIds: ReadonlySet<string> | undefined
  /** The job is over (a report said so, or a unit failed, which ends it): a unit cancelled now is not run again. */
  private over = false
  /** The job's units: the plan's count until a report says. */
  total = 0

  /** `self`: this node's peer id, the worker of the units its events name (empty when unknown). */
  constructor (private readonly out: Writable, private readonly self: string) {}

  /** How many of the job's units have finished, as far as this has seen. */
  get done (): number { return this.finished.size }

  /** An event from the node's stream: only this job's are shown. */
  event (event: NodeEvent): void {
    if (this.jobId === undefined || !('jobId' in event) || event.jobId !== this.jobId) return
    if (event.type === 'unit') this.unit(event.unitId, event.name, event.outcome, this.self, event.ms)
    else if (event.type === 'leading') this.leader(event.term, this.self)
    else if (event.type === 'units-requeued') {
      this.write(`${event.units} unit${event.units === 1 ? '' : 's'} taken back from ${peerName(event.from)} (it went silent or lost ${event.units === 1 ? 'it' : 'them'}), queued again`)
    }
  }

  /** A report of the job, as the build polls it: the units, terms and lost peers the events did not show. */
  report (report: JobReport): void {
    if (report.id !== this.jobId) return
    if (report.state !== 'running') this.over = true
    this.unitIds = new Set(report.units.map(u => u.id))
    this.total = report.units.length
    for (const unit of report.units) {
      const r = unit.result
      if (r != null) this.unit(unit.id, unit.name, r.outcome, r.worker, r.durationMs + r.setupMs, true)
    }
    for (const term of report.terms) this.leader(term.term, term.leader)
    for (const peer of report.lostPeers) {
      if (this.lost.has(peer)) continue
      this.lost.add(peer)
      this.write(`lost ${peerName(peer)} mid-job (what it held goes to other nodes)`)
    }
  }

  /** Says once that no event came: the lines then come from the reports alone. */
  streamFailed (reason: string): void {
    this.write(`no live events from the node (${reason}); unit lines come from the job's report, without units taken back from workers`)
  }

  /** A unit's end; `recorded`: the job holds it as the unit's result (a report), else one run of it (an event). */
  private unit (unitId: string, name: string, outcome: Outcome, worker: string, ms: number, recorded = false): void {
    if (this.finished.has(unitId)) return
    if (this.unitIds !== undefined && !this.unitIds.has(unitId)) return
    if (!recorded && RUN_AGAIN.has(outcome)) {
      if (!this.over) this.write(`${name} ${OUTCOME_WORDS[outcome]} on ${peerName(worker)} (${seconds(ms)}), queued again`)
      return
    }
    if (outcome === 'failed' || outcome === 'timeout') this.over = true
    this.finished.add(unitId)
    this.write(`[${this.finished.size}/${Math.max(this.total, this.finished.size)}] ${name} ${OUTCOME_WORDS[outcome]} on ${peerName(worker)} (${seconds(ms)})`)
  }

  /** A term's leader: term 1 (the submitter's first grant) is the job's start, each later one a change worth a line. */
  private leader (term: number, leader: string): void {
    if (term <= 1 || this.leaders.has(term)) return
    this.leaders.add(term)
    this.write(`leader now ${peerName(leader)} (term ${term})`)
  }

  private write (line: string): void { this.out.write(`gmesh: ${line}\n`) }
}
