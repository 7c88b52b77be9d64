import type { Millis } from '../core/index.js'
import type { RoleContext } from './wire.js'

/**
 * Why a job without a leader and without a live bidder ends after waiting `waitedMs`, if it ends now. Never granted,
 * and for `noSlotsMs` no member membership knows (live or recently dead, this node included) offers build slots in
 * its load: nobody could bid; the user forgot `--accept-builds`. Otherwise only after `noBidderMs`. A member held
 * dead counts as offering: a partition may hide the nodes that accept builds for a while, and a job that had a
 * leader had nodes to run it, which may come back. Without membership nobody's slots are known: `noBidderMs`.
 * `untrustedBidders`: nodes whose bids were ignored because `--trust-producers` leaves them out (the reason says so).
 */
export function whyNobodyRuns (ctx: RoleContext, ownSlots: number, everGranted: boolean, waitedMs: Millis, untrustedBidders = 0): string | undefined {
  const { noSlotsMs, noBidderMs } = ctx.config
  const offers = slotOffers(ctx, ownSlots)
  const noSlots = offers !== undefined && offers.offering + offers.unreachable === 0
  if (!everGranted && noSlots && waitedMs >= noSlotsMs) return noSlotsReason(offers.live)
  if (waitedMs < noBidderMs) return undefined
  return untrustedBidders > 0 ? untrustedReason(noBidderMs, untrustedBidders) : noBidderReason(noBidderMs, offers)
}

/** Nodes bid, but none of them is a producer this node's `--trust-producers` names. */
function untrustedReason (waitedMs: Millis, bidders: number): string {
  const who = bidders === 1 ? '1 node bid but is' : `${bidders} nodes bid but are`
  return `no node this node trusts as a producer bid for ${Math.round(waitedMs / 1000)} s: ${who} not on its --trust-producers list (their cache entries would not be used)`
}

/** What membership says of build slots: who could bid for a job. */
interface SlotOffers {
  /** Live members, this node included. */
  readonly live: number
  /** Live members, this node included, that offer build slots. */
  readonly offering: number
  /** Members held dead that offered build slots: unreachable now, perhaps back soon. */
  readonly unreachable: number
}

/** Build slots in the mesh as membership load shows them; unknown without membership. */
function slotOffers (ctx: RoleContext, ownSlots: number): SlotOffers | undefined {
  if (ctx.view === undefined) return undefined
  let live = 1
  let offering = ownSlots > 0 ? 1 : 0
  let unreachable = 0
  for (const member of ctx.view.members()) {
    const offers = member.load.capacity > 0 ? 1 : 0
    if (member.status === 'dead') unreachable += offers
    else {
      live++
      offering += offers
    }
  }
  return { live, offering, unreachable }
}

function noSlotsReason (live: number): string {
  const seen = live === 1
    ? 'this node sees no other member of the mesh (gmesh status tells why) and does not accept builds itself'
    : `none of the ${live} live members of the mesh (this node included) offers build slots`
  return `no node accepts builds: ${seen}; start one with gmesh up --accept-builds (in a mesh with --swarm-key, or with --trust-submitters)`
}

function noBidderReason (waitedMs: Millis, offers: SlotOffers | undefined): string {
  const waited = `no live node that accepts builds answered for ${Math.round(waitedMs / 1000)} s`
  const offering = offers?.offering ?? 0
  const unreachable = offers?.unreachable ?? 0
  if (offering > 0) {
    const who = offering === 1 ? '1 live member offers' : `${offering} live members offer`
    return `${waited}: ${who} build slots but none bid; does their --trust-submitters leave this node out?`
  }
  if (unreachable > 0) return `${waited}: ${unreachable === 1 ? 'the member that offered build slots is' : `the ${unreachable} members that offered build slots are`} unreachable`
  return `${waited}: start nodes with gmesh up --accept-builds (in a mesh with --swarm-key, or with --trust-submitters)`
}
