import type { PeerId } from '../core/index.js'
import { MAX_GRANT_WORKERS } from './job-size.js'
import type { JobsMessage, WorkerSlots } from './messages.js'

/** A bidder's offer for a job as its submitter keeps it. */
export interface Bid { readonly slots: number, readonly free: number, readonly usPerCost: number }

/** Slots a bid may claim: more would only let one bidder take every unit of a job in one batch. */
export const MAX_BID_SLOTS = 1024

/** A bid as the submitter records it: at most `MAX_BID_SLOTS` slots, and no more of them free than it has. */
export function cappedBid (m: Extract<JobsMessage, { type: 'bid' }>): Bid {
  const slots = Math.min(m.slots, MAX_BID_SLOTS)
  return { slots, free: Math.min(m.free, slots), usPerCost: m.usPerCost }
}

/** The bidder a deterministic rule picks among those `eligible`: most free slots, then most slots, then smallest peer id. */
export function bestBidder (bids: ReadonlyMap<PeerId, Bid>, eligible: (peer: PeerId) => boolean): PeerId | undefined {
  let best: PeerId | undefined
  let bestBid: Bid | undefined
  for (const [peer, bid] of bids) {
    if (!eligible(peer)) continue
    if (bestBid === undefined || better(peer, bid, best as PeerId, bestBid)) {
      best = peer
      bestBid = bid
    }
  }
  return best
}

/** The bidders as leaders get them: the best `MAX_GRANT_WORKERS` (a grant must fit in one message). */
export function grantWorkers (bids: ReadonlyMap<PeerId, Bid>): WorkerSlots[] {
  let ranked = [...bids]
  if (ranked.length > MAX_GRANT_WORKERS) ranked = ranked.sort(([a, x], [b, y]) => better(a, x, b, y) ? -1 : 1).slice(0, MAX_GRANT_WORKERS)
  return ranked.map(([peer, bid]) => ({ peer, slots: bid.slots, usPerCost: bid.usPerCost }))
}

function better (peer: PeerId, bid: Bid, best: PeerId, bestBid: Bid): boolean {
  if (bid.free !== bestBid.free) return bid.free > bestBid.free
  if (bid.slots !== bestBid.slots) return bid.slots > bestBid.slots
  return peer < best
}
