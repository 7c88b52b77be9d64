import type { PeerId } from '../core/index.js'
import type { MembershipView } from '../membership/index.js'
import type { JobsCommandQueue } from './commands.js'
import type { Sha256 } from './commitment.js'
import type { JobsConfig } from './config.js'
import type { JobsMessage } from './messages.js'
import type { UnitOutcome } from './worker.js'

/** How a role talks: the protocol encodes, sends (to self: delivered locally) and publishes. */
export interface JobsWire {
  send: (to: PeerId, message: JobsMessage) => void
  publish: (message: JobsMessage) => void
}

/** What every role of the jobs protocol shares. */
export interface RoleContext {
  readonly self: PeerId
  readonly wire: JobsWire
  readonly commands: JobsCommandQueue
  readonly config: JobsConfig
  /** SHA-256 (the driver's): units' Merkle leaves and proofs. */
  readonly sha256: Sha256
  /** Live peers and their load (membership); absent in unit tests that do not need it. */
  readonly view: MembershipView | undefined
  /** The worker that vouches for a result (see `ResultClaim`); undefined: results are not checked. */
  readonly resultAuthor?: ((claim: ResultClaim) => PeerId | undefined) | undefined
}

/**
 * A unit's result as a leader or a submitter hears it. The driver's summary format can make a worker vouch for it
 * (a real node: the worker's signature over the job, the unit, the outcome and the summary): `resultAuthor` names
 * that worker, or nobody when the summary proves nothing (forged, changed, or of another job, unit or outcome).
 * `outcome` is what the message claims: a `result` is `ok` or `failed`, a `not-run` is `not-run`. A worker's report
 * of a unit it could not run vouches for `not-run` only: passed off as a failed `result`, it vouches for nothing.
 */
export interface ResultClaim {
  readonly jobId: string
  readonly unitId: string
  readonly outcome: UnitOutcome
  readonly summary: string
}

/** What a `result` message claims: a success, or a run that failed (never a unit given back unrun: that is `not-run`). */
export function resultClaim (m: Extract<JobsMessage, { type: 'result' }>): ResultClaim {
  return { jobId: m.jobId, unitId: m.unitId, outcome: m.ok ? 'ok' : 'failed', summary: m.summary }
}

/** Does `worker` vouch for this result? Always, when the driver cannot tell (no `resultAuthor`). */
export function vouches (ctx: RoleContext, worker: PeerId, claim: ResultClaim): boolean {
  return ctx.resultAuthor === undefined || ctx.resultAuthor(claim) === worker
}

/** True unless membership holds `peer` dead. The local node is always live. */
export function seemsLive (ctx: RoleContext, peer: PeerId): boolean {
  if (ctx.view === undefined || peer === ctx.self) return true
  const member = ctx.view.get(peer)
  return member === undefined || member.status !== 'dead'
}

/**
 * True when membership knows `peer` and does not hold it dead (the local node always). Stricter than seemsLive, for
 * choosing a leader among bidders: membership forgets a member dead for long, and a bid must not outlive that.
 */
export function knownLive (ctx: RoleContext, peer: PeerId): boolean {
  if (ctx.view === undefined || peer === ctx.self) return true
  const member = ctx.view.get(peer)
  return member !== undefined && member.status !== 'dead'
}
