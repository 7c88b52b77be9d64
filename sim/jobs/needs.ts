import { SimConfigError } from '../run.js'
import type { JobsScenario } from './scenarios.js'

/**
 * What a jobs scenario needs of the mesh, so that a run that cannot complete its jobs for the arithmetic of its
 * faults is refused (`SimConfigError`, exit 2) instead of reported as a protocol failure (exit 1).
 *
 * A job can only complete while some node that accepts builds, and is honest, is up. Node 0 always submits and has
 * no build slots; each other node draws 1–4 slots with the run's `acceptShare` (0.75), or none; a scenario's forging
 * nodes (`forgers`, `ticketForgers`, `resultForger`, `hollowVictim`, `stealingLiar`) are not honest workers.
 *
 * `leader-crash`, `lossy` and `forgers` crash acting leaders and leave them down, but `crashLeaders` never crashes
 * the last node with build slots that is up (the `forgers` scenario's forging nodes have none, so that node is an
 * honest one): whatever the mesh, one honest builder is left to finish on, and these scenarios need one, like the
 * default. On a mesh with fewer builders than leaders to crash they crash fewer (none with a single builder).
 * Swept (seeds 1-10, 2-12 nodes, 4-12 for `forgers`, `--jobs 1` and the default 2): every run that drew a builder
 * completed with no violation. One builder with one slot is the slowest case: over seeds 1-200 at the smallest
 * meshes (2 and 3 nodes; 4 and 5 for `forgers`, default jobs) the worst makespan was 89 s, well within the 120 s
 * liveness phase that starts when faults end (18 s), so no higher floor is needed for the liveness budget.
 */

/** Nodes of the scenario that forge or hoard instead of working honestly. */
export function forgingNodes (scenario: JobsScenario): number {
  return (scenario.forgers ?? 0) + (scenario.ticketForgers === true ? 2 : 0) + (scenario.resultForger === true ? 1 : 0) + (scenario.hollowVictim === true ? 1 : 0) + (scenario.stealingLiar === true ? 1 : 0)
}

/** Honest nodes with build slots the scenario needs (default: one, to run the units). */
export function workersNeeded (scenario: JobsScenario): number {
  return scenario.workers?.needed ?? 1
}

/**
 * The smallest mesh the scenario can run on: node 0 (the submitter, no slots), its forging nodes, and the honest
 * workers it needs, should every other node draw build slots.
 */
export function minJobsNodes (scenario: JobsScenario): number {
  return 1 + forgingNodes(scenario) + workersNeeded(scenario)
}

/** Before a run: refuses a mesh smaller than `minJobsNodes`. */
export function checkJobsMesh (scenario: JobsScenario, size: number): void {
  if (!Number.isInteger(size) || size < minJobsNodes(scenario)) {
    throw new SimConfigError(`jobs scenario ${scenario.name} needs at least ${minJobsNodes(scenario)} nodes (got ${size}): ${why(scenario)}`)
  }
}

/** Once the seed drew build slots: refuses a mesh with fewer honest workers than the scenario needs. */
export function checkJobsWorkers (scenario: JobsScenario, seed: number, size: number, slots: readonly number[], forging: ReadonlySet<number>): void {
  let honest = 0
  for (let i = 0; i < size; i++) if ((slots[i] ?? 0) > 0 && !forging.has(i)) honest++
  const needed = workersNeeded(scenario)
  if (honest >= needed) return
  throw new SimConfigError(`jobs scenario ${scenario.name} needs ${needed} honest node${needed === 1 ? '' : 's'} with build slots, and seed ${seed} gives ${size} nodes only ${honest}: ${why(scenario)}; use more nodes (or another seed)`)
}

function why (scenario: JobsScenario): string {
  const forging = forgingNodes(scenario)
  const reason = scenario.workers?.why ?? 'one node with build slots runs the units'
  return `node 0 submits and has no build slots${forging > 0 ? `, ${forging} node(s) forge` : ''}, and ${reason}`
}
