import type { PeerId } from '../../protocols/core/index.js'
import { jobsCodec } from '../../protocols/jobs/index.js'
import type { JobsCommand, JobSpec, UnitSpec } from '../../protocols/jobs/index.js'
import type { JobsHarness, JobsObserver } from './harness.js'

export type JobsInvariant = 'one-leader-per-term' | 'accepting-nodes-only' | 'runs-as-submitted' | 'job-completes' | 'no-result-lost' | 'result-from-a-run' | 'dependencies-first' | 'nodes-go-quiet' | 'honest-leaders-kept'

export interface JobsViolation {
  readonly invariant: JobsInvariant
  readonly at: number
  readonly detail: string
}

/**
 * Checks the jobs invariants while a run goes: at most one node hands out units per (job, term)
 * (read off the wire: every `assign` names its term), no unit runs on a node without slots, and no honest node
 * runs a unit its submitter did not submit exactly (same job and submitter, same id, payload, cost, dependencies),
 * and no submitter deposes an honest leader (`forgedResult`: it passed on a result no bidder vouches for; only a
 * lying node may, a leader that believed another node's lie must not).
 * A submitter records each unit's result once (`unitDone`: the first wins). At the end: every job completed, with
 * the results its submitter recorded (none dropped or replaced since), each one the result of a run
 * that finished; and no unit started before a run of each unit it depends on had finished. After a quiet
 * period past the last job's end: no node still leads a job or holds units or results of one.
 */
export class JobsChecker implements JobsObserver {
  readonly violations: JobsViolation[] = []
  readonly completedAt = new Map<string, number>()
  readonly results = new Map<string, ReadonlyMap<string, string>>()
  readonly failed = new Set<string>()
  readonly leaders = new Map<string, PeerId>()
  runs = 0
  /**
   * Units a leader handed out (`assign`) once their submitter had recorded their result: a leader that did not know.
   * A leader learns of a result recorded after its term was granted a message later (see Submitter `tellLeader`).
   */
  handoutsAfterRecorded = 0
  /** Runs started once their unit's submitter had recorded its result: wasted (the first recorded result counts). */
  runsAfterRecorded = 0
  /** Results submitters refused because no worker vouched for them (their leader made them up). */
  forgedResultsRefused = 0
  private readonly selfIds: readonly PeerId[]
  /** Start times of each unit's runs, by `jobId/unitId`. */
  private readonly started = new Map<string, number[]>()
  /** Finished runs of each unit: when, and the result they gave. */
  private readonly finished = new Map<string, Array<{ at: number, result: string }>>()
  /** Units whose submitter recorded their result (`unitDone`), as `jobId/unitId`, with that result. */
  private readonly recorded = new Map<string, string>()
  /** Every submitted job: its units and who submitted it (see `submitted`). */
  private readonly jobs = new Map<string, { readonly submitter: PeerId, readonly units: ReadonlyMap<string, UnitSpec> }>()

  /** `liars`: nodes that misbehave on purpose (forgers); what they send is not taken as what a leader did. */
  constructor (private readonly slots: readonly number[], peers: readonly PeerId[], private readonly liars: ReadonlySet<number> = new Set()) {
    this.selfIds = peers
  }

  /** `submitter` submits `job`: a unit of it runs only exactly as given here. */
  submitted (job: JobSpec, submitter: PeerId): void {
    this.jobs.set(job.jobId, { submitter, units: new Map(job.units.map(u => [u.id, u])) })
  }

  onSend (from: number, _to: PeerId, bytes: Uint8Array, now: number): void {
    if (bytes[1] !== ASSIGN_TAG || this.liars.has(from)) return
    const message = jobsCodec.decode(bytes)
    if (message.type !== 'assign') return
    for (const ticket of message.tickets) {
      this.noteLeader(ticket.jobId, ticket.term, this.selfIds[from] as PeerId, now)
      if (this.recorded.has(`${ticket.jobId}/${ticket.unitId}`)) this.handoutsAfterRecorded++
    }
  }

  onCommand (node: number, command: JobsCommand, now: number): void {
    switch (command.kind) {
      case 'runUnit':
        this.runs++
        push(this.started, `${command.jobId}/${command.unitId}`, now)
        if (this.recorded.has(`${command.jobId}/${command.unitId}`)) this.runsAfterRecorded++
        if ((this.slots[node] ?? 0) === 0) this.violate('accepting-nodes-only', now, `${command.jobId}/${command.unitId} ran on ${this.selfIds[node] ?? node}, which has no build slots`)
        if (!this.liars.has(node)) this.checkSubmitted(node, command, now)
        break
      case 'jobCompleted':
        this.completedAt.set(command.jobId, now)
        this.results.set(command.jobId, command.results)
        break
      case 'jobFailed':
      case 'jobAbandoned':
        this.failed.add(command.jobId)
        break
      case 'unitDone':
        this.record(command, now)
        break
      case 'forgedResult':
        this.forgedResultsRefused++
        this.checkDeposed(node, command, now)
        break
      case 'leading':
        if (command.acting) this.noteLeader(command.jobId, command.term, this.selfIds[node] as PeerId, now)
        break
    }
  }

  onUnitFinished (_node: number, jobId: string, unitId: string, result: string, now: number): void {
    push(this.finished, `${jobId}/${unitId}`, { at: now, result })
  }

  /** End of run: every job done, every unit with the result of one of its runs, every run after its inputs. */
  checkEnd (jobs: readonly JobSpec[], now: number): void {
    for (const job of jobs) {
      this.checkOrder(job, now)
      const results = this.results.get(job.jobId)
      if (results === undefined) {
        this.violate('job-completes', now, `job ${job.jobId} did not complete in the liveness phase${this.failed.has(job.jobId) ? ' (reported failed)' : ''}`)
        continue
      }
      const lost = job.units.filter(u => results.get(u.id) !== this.recorded.get(`${job.jobId}/${u.id}`))
      if (lost.length > 0) this.violate('no-result-lost', now, `job ${job.jobId} completed with results other than those recorded for ${lost.length} units (${lost.slice(0, 3).map(u => u.id).join(', ')})`)
      const unran = job.units.filter(u => results.get(u.id) !== undefined && !(this.finished.get(`${job.jobId}/${u.id}`) ?? []).some(run => run.result === results.get(u.id)))
      if (unran.length > 0) this.violate('result-from-a-run', now, `job ${job.jobId} completed with results no run gave for ${unran.length} units (${unran.slice(0, 3).map(u => u.id).join(', ')})`)
    }
  }

  /**
   * Once every job is over and `quietMs` has passed: no node leads a job any more (a leader that never learnt its job
   * ended keeps asking its submitter for leases forever), and no worker holds units or results of one. Nodes in `skip`
   * (deliberately misbehaving ones) are not checked.
   */
  checkQuiet (harness: JobsHarness, quietMs: number, now: number, skip: ReadonlySet<number> = new Set()): void {
    for (let i = 0; i < harness.size; i++) {
      const jobs = harness.jobsOf(i)
      if (jobs === undefined || skip.has(i)) continue
      const peer = this.selfIds[i] ?? String(i)
      if (jobs.leadership.size > 0) this.violate('nodes-go-quiet', now, `${peer} still leads ${jobs.leadership.size} job(s) ${quietMs} ms after the last job ended`)
      if (jobs.worker.busy) this.violate('nodes-go-quiet', now, `${peer} still holds units or results (${jobs.worker.queuedCount} queued, ${jobs.worker.runningCount} running) ${quietMs} ms after the last job ended`)
    }
  }

  /** A submitter deposed `command.from` for a result no bidder vouches for: a violation unless that node lies on purpose. */
  private checkDeposed (node: number, { jobId, unitId, from }: Extract<JobsCommand, { kind: 'forgedResult' }>, now: number): void {
    const leader = this.selfIds.indexOf(from)
    if (leader >= 0 && this.liars.has(leader)) return
    this.violate('honest-leaders-kept', now, `${this.selfIds[node] ?? node} deposed ${from}, an honest leader, for passing on a result of ${jobId}/${unitId} no bidder vouches for`)
  }

  /** A submitter records a unit's result once: another one later would replace the first, which its worker was told counted. */
  private record ({ jobId, unitId, summary }: Extract<JobsCommand, { kind: 'unitDone' }>, now: number): void {
    const key = `${jobId}/${unitId}`
    const first = this.recorded.get(key)
    if (first === undefined) this.recorded.set(key, summary)
    else if (first !== summary) this.violate('no-result-lost', now, `${key} was recorded again with another result, after ${JSON.stringify(first.slice(0, 40))}`)
  }

  /** A unit runs only as its submitter submitted it: a leader or a steal victim that forged its ticket is caught here. */
  private checkSubmitted (node: number, run: Extract<JobsCommand, { kind: 'runUnit' }>, now: number): void {
    const where = `${run.jobId}/${run.unitId} ran on ${this.selfIds[node] ?? node}`
    const job = this.jobs.get(run.jobId)
    const unit = job?.units.get(run.unitId)
    let wrong: string | undefined
    if (job === undefined) wrong = 'no such job was submitted'
    else if (job.submitter !== run.submitter) wrong = `in the name of ${run.submitter}, but ${job.submitter} submitted the job`
    else if (unit === undefined) wrong = 'the job has no such unit'
    else if (unit.payload !== run.payload) wrong = `with payload ${JSON.stringify(run.payload.slice(0, 40))}, submitted ${JSON.stringify(unit.payload.slice(0, 40))}`
    else if (run.cost !== unit.cost) wrong = `with cost ${run.cost}, submitted ${unit.cost}`
    else if (run.dependsOn.join(' ') !== unit.dependsOn.join(' ')) wrong = `depending on [${run.dependsOn.join(' ')}], submitted [${unit.dependsOn.join(' ')}]`
    if (wrong !== undefined) this.violate('runs-as-submitted', now, `${where} ${wrong}`)
  }

  /** Every run of a unit started once a run of each unit it depends on had finished. */
  private checkOrder (job: JobSpec, now: number): void {
    const early: string[] = []
    for (const unit of job.units) {
      for (const start of this.started.get(`${job.jobId}/${unit.id}`) ?? []) {
        const ready = unit.dependsOn.every(dep => (this.finished.get(`${job.jobId}/${dep}`) ?? []).some(run => run.at <= start))
        if (!ready) early.push(unit.id)
      }
    }
    if (early.length > 0) this.violate('dependencies-first', now, `job ${job.jobId}: ${early.length} runs started before their inputs were done (${early.slice(0, 3).join(', ')})`)
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

function push<T> (map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}
