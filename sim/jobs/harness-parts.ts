import type { PeerId, Random } from '../../protocols/core/index.js'
import type { JobsCommand, JobsConfig, JobsOptions, JobsProtocol } from '../../protocols/jobs/index.js'
import type { MembershipConfig } from '../../protocols/membership/index.js'
import type { Engine } from '../engine/index.js'
import type { GossipModel } from '../gossip.js'
import type { FaultState, Links } from '../network/index.js'

/** Builds a node's jobs protocol; tests pass deliberately broken variants here. */
export type JobsFactory = (options: JobsOptions) => JobsProtocol

/** Watches what nodes do (the invariant checker implements it). */
export interface JobsObserver {
  onSend: (from: number, to: PeerId, bytes: Uint8Array, now: number) => void
  onCommand: (node: number, command: JobsCommand, now: number) => void
  /** A unit the harness ran finished on `node` with `result`, which it now hands to the node's protocol. */
  onUnitFinished?: (node: number, jobId: string, unitId: string, result: string, now: number) => void
}

export interface JobsHarnessParts {
  readonly engine: Engine
  readonly links: Links
  readonly faults: FaultState
  readonly gossip: GossipModel
  /** Build slots per node (0: does not accept builds). */
  readonly slots: readonly number[]
  /** Milliseconds per unit of cost per node (mixed speed). */
  readonly msPerCost: readonly number[]
  /** What each node believes its speed is before it has run a unit (its calibration), if anything. */
  readonly speedHints?: readonly number[]
  readonly observer: JobsObserver
  readonly jobsConfig?: Partial<JobsConfig>
  readonly membershipConfig?: Partial<MembershipConfig>
  readonly createJobs?: JobsFactory
  /** Extra slowdown of one unit run on a node (stragglers); 1 = none. */
  readonly straggle?: (node: number, random: Random) => number
}
