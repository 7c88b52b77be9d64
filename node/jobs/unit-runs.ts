import type { Signer } from '../../protocols/cache/index.js'
import type { JobsCommand, UnitOutcome } from '../../protocols/jobs/index.js'
import type { Logger } from '../../src/config/logger.js'
import type { EventSink } from '../events/index.js'
import { signUnitResult } from './signed-unit-result.js'
import type { UnitExecutor } from './unit-executor.js'
import { protocolOutcome } from './unit-report.js'

type RunUnit = Extract<JobsCommand, { kind: 'runUnit' }>

export interface UnitRunsComponents {
  executor: Pick<UnitExecutor, 'run'>
  /** Signs this node's unit results (its identity key), so the submitter can tell they are this worker's. */
  sign: Signer
  logger: Logger
  events?: EventSink
}

export interface UnitRunsInit {
  /** Hands the end of a run to the jobs protocol (`JobsProtocol.unitFinished`, through the protocol host). */
  finished: (jobId: string, unitId: string, outcome: UnitOutcome, summary: string) => void
}

interface Run {
  readonly controller: AbortController
  done: Promise<void>
}

/**
 * A worker's unit runs: each `runUnit` command runs on the UnitExecutor, and its end goes to the jobs protocol with
 * the report signed by this node. A cancelled run is reported too, once it is over: the protocol keeps its slot until
 * then (a killed Gradle takes a while to exit). A report that cannot be made (signing threw, or the protocol did) is
 * logged and the unit given back unrun, unsigned: its leader runs it elsewhere. Nothing is left to reject unhandled,
 * which would end the node.
 */
export class UnitRuns {
  private readonly runs = new Map<string, Run>()

  constructor (private readonly components: UnitRunsComponents, private readonly init: UnitRunsInit) {}

  get size (): number { return this.runs.size }

  start (command: RunUnit): void {
    const key = `${command.jobId}/${command.unitId}`
    const run: Run = { controller: new AbortController(), done: Promise.resolve() }
    this.runs.set(key, run)
    run.done = this.run(command, run, key)
  }

  /** Stops a run (its job ended); it is reported once over. */
  cancel (jobId: string, unitId: string, reason: Error): void {
    this.runs.get(`${jobId}/${unitId}`)?.controller.abort(reason)
  }

  /** Stops every run and waits for them to end. */
  async stop (reason: Error): Promise<void> {
    const runs = [...this.runs.values()]
    for (const run of runs) run.controller.abort(reason)
    await Promise.all(runs.map(async run => { await run.done }))
  }

  private async run (command: RunUnit, run: Run, key: string): Promise<void> {
    const { jobId, unitId } = command
    try {
      const report = await this.components.executor.run(command, run.controller.signal)
      this.forget(key, run)
      this.components.events?.emit({ type: 'unit', jobId, unitId, name: report.unit, outcome: report.outcome, ms: report.setupMs + report.durationMs })
      this.init.finished(jobId, unitId, protocolOutcome(report.outcome), signUnitResult(report, jobId, unitId, this.components.sign))
    } catch (err) {
      this.forget(key, run)
      this.components.logger.error({ err, jobId, unitId }, 'could not report the end of a unit run: the unit is given back unrun')
      try {
        this.init.finished(jobId, unitId, 'not-run', `the worker could not report its run: ${(err as Error).message}`)
      } catch (again) {
        this.components.logger.error({ err: again, jobId, unitId }, 'could not give back a unit either')
      }
    }
  }

  /** Done with `run` before its report: the protocol may start the same unit again while it takes the report. */
  private forget (key: string, run: Run): void {
    if (this.runs.get(key) === run) this.runs.delete(key)
  }
}
