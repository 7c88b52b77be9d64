import type { PeerId } from '../core/index.js'
import type { MembershipView } from '../membership/index.js'
import type { JobsCommandQueue } from './commands.js'
import type { Sha256 } from './commitment.js'
import type { JobsConfig } from './config.js'
import type { JobsMessage } from './messages.js'

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
  /**
   * The worker a result summary says ran the unit (the driver's summary format), if the driver can tell: a
   * leader then takes a result only from the worker its summary names. Undefined: summaries are not checked.
   */
  readonly resultAuthor?: ((summary: string) => PeerId | undefined) | undefined
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
