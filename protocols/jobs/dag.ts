import { MAX_ID_BYTES, MAX_PAYLOAD_BYTES, MAX_UNITS } from './messages.js'
import type { UnitSpec } from './messages.js'

/** A submitted job is not a valid DAG of units (duplicate ids, unknown dependency, cycle, limits). */
export class InvalidJobError extends Error {
  readonly code = 'ERR_INVALID_JOB'
  override name = 'InvalidJobError'
}

/** What a submitter hands to `submitJob`: an id and a DAG of units. */
export interface JobSpec {
  readonly jobId: string
  readonly units: readonly UnitSpec[]
}

const utf8 = new TextEncoder()

/**
 * Checks that `units` form a DAG within the wire limits and returns them in a topological order.
 * Throws `InvalidJobError` naming the first problem.
 */
export function topologicalOrder (units: readonly UnitSpec[]): UnitSpec[] {
  if (units.length === 0) throw new InvalidJobError('a job needs at least one unit')
  if (units.length > MAX_UNITS) throw new InvalidJobError(`${units.length} units are over the limit of ${MAX_UNITS}`)
  const byId = new Map<string, UnitSpec>()
  for (const unit of units) {
    if (unit.id.length === 0 || utf8.encode(unit.id).length > MAX_ID_BYTES) throw new InvalidJobError(`unit id "${unit.id.slice(0, 80)}" is empty or over ${MAX_ID_BYTES} bytes`)
    const payloadBytes = utf8.encode(unit.payload).length
    if (payloadBytes > MAX_PAYLOAD_BYTES) throw new InvalidJobError(`payload of unit ${unit.id} is ${payloadBytes} bytes, over the limit of ${MAX_PAYLOAD_BYTES}`)
    if (!Number.isSafeInteger(unit.cost) || unit.cost < 0) throw new InvalidJobError(`cost of unit ${unit.id} is not a non-negative integer`)
    if (byId.has(unit.id)) throw new InvalidJobError(`unit id ${unit.id} appears twice`)
    byId.set(unit.id, unit)
  }
  const indegree = new Map<string, number>()
  const dependants = new Map<string, string[]>()
  for (const unit of units) {
    indegree.set(unit.id, unit.dependsOn.length)
    for (const dep of unit.dependsOn) {
      if (!byId.has(dep)) throw new InvalidJobError(`unit ${unit.id} depends on unknown unit ${dep}`)
      const list = dependants.get(dep)
      if (list === undefined) dependants.set(dep, [unit.id])
      else list.push(unit.id)
    }
  }
  const order: UnitSpec[] = []
  const stack = units.filter(u => u.dependsOn.length === 0).map(u => u.id)
  while (stack.length > 0) {
    const id = stack.pop() as string
    order.push(byId.get(id) as UnitSpec)
    for (const next of dependants.get(id) ?? []) {
      const left = (indegree.get(next) as number) - 1
      indegree.set(next, left)
      if (left === 0) stack.push(next)
    }
  }
  if (order.length !== units.length) throw new InvalidJobError('the units\' dependencies form a cycle')
  return order
}

/** Cost of the longest path from each unit to the end of the job (its own cost included): the scheduling priority. */
export function bottomLevels (order: readonly UnitSpec[]): Map<string, number> {
  const dependants = new Map<string, string[]>()
  for (const unit of order) {
    for (const dep of unit.dependsOn) {
      const list = dependants.get(dep)
      if (list === undefined) dependants.set(dep, [unit.id])
      else list.push(unit.id)
    }
  }
  const level = new Map<string, number>()
  for (let i = order.length - 1; i >= 0; i--) {
    const unit = order[i] as UnitSpec
    let longest = 0
    for (const next of dependants.get(unit.id) ?? []) longest = Math.max(longest, level.get(next) as number)
    level.set(unit.id, unit.cost + longest)
  }
  return level
}

/** Total cost and critical path of a job: the two terms of the makespan lower bound. */
export function jobBounds (units: readonly UnitSpec[]): { totalCost: number, criticalPath: number } {
  const levels = bottomLevels(topologicalOrder(units))
  let totalCost = 0
  let criticalPath = 0
  for (const unit of units) {
    totalCost += unit.cost
    criticalPath = Math.max(criticalPath, levels.get(unit.id) as number)
  }
  return { totalCost, criticalPath }
}
