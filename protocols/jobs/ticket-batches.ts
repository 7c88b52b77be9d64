import type { PeerId } from '../core/index.js'
import { HASH_BYTES, JOBS_MAX_BYTES } from './messages.js'
import type { UnitTicket } from './messages.js'
import type { JobsWire } from './wire.js'

/** Tickets per `assign` or `stolen` message at most; `ticketBatches` also keeps each batch under `TICKET_BATCH_BYTES`. */
export const MAX_TICKETS_PER_MESSAGE = 128
/** Encoded tickets per message at most: room is left for the header and the count. */
export const TICKET_BATCH_BYTES = JOBS_MAX_BYTES - 64

/** UTF-8 length of a string, without encoding it. */
function utf8Length (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

const varintLength = (n: number): number => n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5 + Math.floor(Math.log2(n / 0x10000000) / 7)
const stringLength = (s: string): number => { const n = utf8Length(s); return varintLength(n) + n }

/** The encoded size of one ticket in an `assign` or `stolen` message. */
export function ticketBytes (t: UnitTicket): number {
  let n = stringLength(t.jobId) + stringLength(t.unitId) + stringLength(t.submitter) + stringLength(t.leader) + stringLength(t.payload)
  n += varintLength(t.term) + varintLength(t.cost) + varintLength(t.index) + varintLength(t.dependsOn.length) + varintLength(t.proof.length)
  for (const dep of t.dependsOn) n += stringLength(dep)
  return n + t.proof.length * HASH_BYTES
}

/**
 * Tickets in message-sized batches: at most `MAX_TICKETS_PER_MESSAGE` and `TICKET_BATCH_BYTES` each (a unit that
 * depends on many others takes more room). One ticket always fits: a job whose grant fits in a message (see
 * `assertGrantFits`) has no unit near the limit.
 */
export function ticketBatches (tickets: readonly UnitTicket[]): UnitTicket[][] {
  const batches: UnitTicket[][] = []
  let batch: UnitTicket[] = []
  let bytes = 0
  for (const t of tickets) {
    const size = ticketBytes(t)
    if (batch.length > 0 && (batch.length >= MAX_TICKETS_PER_MESSAGE || bytes + size > TICKET_BATCH_BYTES)) {
      batches.push(batch)
      batch = []
      bytes = 0
    }
    batch.push(t)
    bytes += size
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

/** A leader's tickets for each worker, sent as `assign` messages in message-sized batches. */
export class Assignments {
  private readonly byPeer = new Map<PeerId, UnitTicket[]>()

  add (peer: PeerId, ticket: UnitTicket): void {
    const tickets = this.byPeer.get(peer)
    if (tickets === undefined) this.byPeer.set(peer, [ticket])
    else tickets.push(ticket)
  }

  send (wire: JobsWire): void {
    for (const [peer, tickets] of this.byPeer) {
      for (const batch of ticketBatches(tickets)) wire.send(peer, { type: 'assign', tickets: batch })
    }
  }
}

/**
 * Whether `tickets` are all of one job, one submitter and one leader, as every honest `assign` is: a leader sends each
 * job's tickets in their own batches (LeaderJob makes one `Assignments` per job). An assign of several jobs is
 * rejected: one naming thousands of made-up jobs made a worker ask about each (see Asks).
 */
export function ofOneJob (tickets: readonly UnitTicket[]): boolean {
  const first = tickets[0]
  return first === undefined || tickets.every(t => t.jobId === first.jobId && t.submitter === first.submitter && t.leader === first.leader)
}
