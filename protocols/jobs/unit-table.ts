import type { Millis, PeerId } from '../core/index.js'
import { bottomLevels, topologicalOrder } from './dag.js'
import type { UnitSpec } from './messages.js'
import { ReadyQueue } from './ready-queue.js'

/** A unit given back unrun this many times (vouched reasons, over every term: see Submitter `onNotRun`) fails the job with the last worker's report. */
export const MAX_NOT_RUN = 3

export interface UnitState {
  readonly spec: UnitSpec
  /** Dependencies without a result yet. */
  waiting: number
  readonly dependants: string[]
  done: boolean
  /** Workers holding a copy now (two while speculating), with when they got it. */
  readonly owners: Map<PeerId, Millis>
  /** Every worker this term gave the unit to: their results count. */
  readonly assignees: Set<PeerId>
  /** Workers that reported holding it while another did (they stole it): their results count once the others let go. */
  readonly thieves: Set<PeerId>
  /** Holders whose latest report left it out (a victim of a steal lets go of it so). */
  readonly omittedBy: Set<PeerId>
  /** Workers that gave the unit back unrun, with until when they are passed over for it. */
  readonly declined: Map<PeerId, Millis>
  /** How many times its worker gave it back unrun this term, vouched for (the submitter counts them over every term). */
  notRun: number
  /** Given back unrun `MAX_NOT_RUN` times this term: it goes out to no worker before then (the job should end first). */
  restsUntil: Millis
}

/**
 * A job's units as its leader sees them: the DAG (throws `InvalidJobError` for a bad one), which units are done,
 * which are ready (most critical first: longest path to the end of the job), and how many are left.
 */
export class UnitTable {
  private readonly units = new Map<string, UnitState>()
  readonly ready: ReadyQueue
  /** Each unit's longest path to the end of the job (its own cost included). */
  readonly levels: ReadonlyMap<string, number>
  remaining = 0

  constructor (specs: readonly UnitSpec[], done: readonly string[]) {
    const order = topologicalOrder(specs)
    const levels = bottomLevels(order)
    this.levels = levels
    this.ready = new ReadyQueue(id => levels.get(id) ?? 0)
    const finished = new Set(done)
    for (const spec of order) {
      this.units.set(spec.id, { spec, waiting: 0, dependants: [], done: finished.has(spec.id), owners: new Map(), assignees: new Set(), thieves: new Set(), omittedBy: new Set(), declined: new Map(), notRun: 0, restsUntil: 0 })
    }
    for (const unit of this.units.values()) {
      if (!unit.done) this.remaining++
      for (const dep of unit.spec.dependsOn) {
        const parent = this.units.get(dep) as UnitState
        parent.dependants.push(unit.spec.id)
        if (!parent.done) unit.waiting++
      }
    }
    for (const unit of this.units.values()) if (!unit.done && unit.waiting === 0) this.ready.push(unit.spec.id)
  }

  get (id: string): UnitState | undefined { return this.units.get(id) }

  costOf (id: string): number { return this.units.get(id)?.spec.cost ?? 0 }

  /** Not done, held by nobody, every input done. */
  isReady (id: string): boolean {
    const unit = this.units.get(id)
    return unit !== undefined && !unit.done && unit.owners.size === 0 && unit.waiting === 0
  }

  /** Whether a worker gave the unit back unrun and is still passed over for it. */
  declinedNow (id: string, now: Millis): boolean {
    if (this.rests(id, now)) return true
    for (const until of this.units.get(id)?.declined.values() ?? []) if (now < until) return true
    return false
  }

  /** Whether the unit was given back unrun too often this term to go out now (see LeaderJob `onNotRun`). */
  rests (id: string, now: Millis): boolean {
    return now < (this.units.get(id)?.restsUntil ?? 0)
  }

  /** A result came in: the unit is done (a failure ends the job: nothing remains), its dependants may be ready. */
  complete (unit: UnitState, ok: boolean): void {
    unit.done = true
    unit.owners.clear()
    this.remaining = ok ? this.remaining - 1 : 0
    for (const next of unit.dependants) {
      const child = this.units.get(next) as UnitState
      if (--child.waiting === 0 && !child.done) this.ready.push(next)
    }
  }

  /** A result taken before (an earlier term of this leader): the unit is done unless it was already. Returns whether it was not. */
  completeCarried (id: string, ok: boolean): boolean {
    const unit = this.units.get(id)
    if (unit === undefined || unit.done) return false
    this.complete(unit, ok)
    return true
  }

  /** The longest remaining path among the units in `inFlight` and the ready ones. */
  frontierLevel (inFlight: Iterable<string>): number {
    let level = 0
    for (const id of inFlight) level = Math.max(level, this.levels.get(id) ?? 0)
    const top = this.ready.peek()
    return top === undefined ? level : Math.max(level, this.levels.get(top) ?? 0)
  }
}
