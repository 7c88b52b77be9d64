/**
 * How fast a node runs units, as milliseconds per unit of cost: a moving average over its runs, which a worker
 * keeps of itself (and claims in its bids) and a leader keeps of each worker of a job.
 */

/** Weight of a new run in one node's moving average: recent runs count most, one slow run does not rule. */
export const RUN_WEIGHT = 0.3

/** The moving average after a run of `observed` ms per unit of cost; the first run stands alone. */
export function nextMsPerCost (previous: number | undefined, observed: number): number {
  return previous === undefined ? observed : previous + RUN_WEIGHT * (observed - previous)
}

/** A speed as bids carry it: whole microseconds per unit of cost within 1..10^9, or 0 while unknown. */
export function usPerCostOf (msPerCost: number | undefined): number {
  return msPerCost === undefined ? 0 : Math.min(1_000_000_000, Math.max(1, Math.round(msPerCost * 1000)))
}
