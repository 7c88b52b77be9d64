import type { Millis } from '../core/index.js'

/** Timing and policy knobs of the jobs protocol. Every duration is in driver milliseconds. */
export interface JobsConfig {
  /** Period of the protocol's single housekeeping timer (leases, heartbeats, steals, speculation). */
  readonly tickMs: Millis
  /** How long the submitter collects bids after announcing before it grants term 1. */
  readonly bidWindowMs: Millis
  /** The submitter re-announces a job without a leader this often (gossip is lossy). */
  readonly announceRetryMs: Millis
  /** A job without a leader and without a live bidder this long ends unrun (`jobAbandoned`): nobody accepts builds. */
  readonly noBidderMs: Millis
  /**
   * A job never granted ends this soon instead (`jobAbandoned`) when no live member of the mesh, this node included,
   * offers build slots in its membership load: nobody could bid. At least `bidWindowMs`; a few seconds let a node
   * that just joined learn its members' loads.
   */
  readonly noSlotsMs: Millis
  /** A leader renews its lease with the submitter this often. */
  readonly leaseRenewMs: Millis
  /** A leader acts for `leaseMs` after sending a lease request the submitter acknowledged. */
  readonly leaseMs: Millis
  /** Extra wait on the submitter past a missed lease before it grants the next term (clock drift). */
  readonly leaseMarginMs: Millis
  /** Workers report the units they hold to the leader this often (unit leases). */
  readonly heldReportMs: Millis
  /** A worker silent this long loses its units back to the queue. */
  readonly workerLeaseMs: Millis
  /** A unit assigned this long ago but missing from its worker's report goes back to the queue. */
  readonly assignGraceMs: Millis
  /** Unacknowledged results are sent again this often. */
  readonly resultRetryMs: Millis
  /**
   * A worker gives up a job whose submitter membership has held dead this long: drops its queued units and
   * unacknowledged results and cancels its running ones (nobody is left to take them).
   */
  readonly submitterGoneMs: Millis
  /** Units the leader queues on a worker beyond its slots (critical units only, see `criticalShare`). */
  readonly queueDepthPerSlot: number
  /**
   * A ready unit whose remaining path is at least this share of the longest one is critical: it may
   * queue on a busy worker where it would still finish soonest; other units only take free slots.
   */
  readonly criticalShare: number
  /** Whether idle workers steal half the queue of the busiest neighbour. */
  readonly stealing: boolean
  /** An idle worker asks again no sooner than this; also the first pass-over of a victim that gave nothing (StealTargets). */
  readonly stealBackoffMs: Millis
  /** Whether the leader starts speculative copies of stragglers. */
  readonly speculation: boolean
  /** A running unit is a straggler past `speculationFactor` × its expected duration plus `speculationSlackMs`. */
  readonly speculationFactor: number
  readonly speculationSlackMs: Millis
  /** Expected milliseconds per unit of cost before the leader has measured any. */
  readonly initialMsPerCost: number
}

export const DEFAULT_JOBS_CONFIG: JobsConfig = Object.freeze({
  tickMs: 100,
  bidWindowMs: 300,
  announceRetryMs: 1000,
  noBidderMs: 60_000,
  noSlotsMs: 5000,
  leaseRenewMs: 500,
  leaseMs: 2000,
  leaseMarginMs: 500,
  heldReportMs: 500,
  workerLeaseMs: 3000,
  assignGraceMs: 1500,
  resultRetryMs: 1000,
  submitterGoneMs: 30_000,
  queueDepthPerSlot: 1,
  criticalShare: 0.65,
  stealing: true,
  stealBackoffMs: 300,
  speculation: true,
  speculationFactor: 3,
  speculationSlackMs: 1000,
  initialMsPerCost: 1
})
