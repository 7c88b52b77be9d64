import type { Random } from '../../protocols/core/index.js'
import type { JobSpec, UnitSpec } from '../../protocols/jobs/index.js'

export interface WorkloadShape {
  readonly units: number
  /** Unit cost range (ms of work on a node of speed 1). */
  readonly cost: readonly [number, number]
  /** Each unit depends on up to this many of the `window` units before it. */
  readonly maxDeps: number
  readonly window: number
}

/**
 * A random build-like DAG: units in order, each depending on a few recent earlier ones (projects
 * depend on nearby projects), costs uniform in the range. The payload is the cost (the harness
 * runs a unit for cost × the node's ms per cost).
 */
export function randomJob (jobId: string, shape: WorkloadShape, random: Random): JobSpec {
  const units: UnitSpec[] = []
  for (let i = 0; i < shape.units; i++) {
    const deps = new Set<string>()
    const count = i === 0 ? 0 : random.nextInt(shape.maxDeps + 1)
    for (let d = 0; d < count; d++) deps.add(`u${Math.max(0, i - 1 - random.nextInt(Math.min(i, shape.window)))}`)
    const cost = Math.round(shape.cost[0] + random.nextFloat() * (shape.cost[1] - shape.cost[0]))
    units.push({ id: `u${i}`, dependsOn: [...deps], cost, payload: String(cost) })
  }
  return { jobId, units }
}
