import { MalformedMessageError, WireReader, WireWriter } from '../core/index.js'
import type { MessageCodec, PeerId } from '../core/index.js'

/** Gossip topic for job announcements and job ends (v3: results are vouched for by their worker). */
export const JOBS_TOPIC = 'gmesh/v3/jobs'
/** Direct stream protocol for bids, grants, leases, assignments, results and steals. */
export const JOBS_PROTOCOL = '/gmesh/jobs/3.0.0'
/**
 * 2: announces and `leader` carry the job's commitment, tickets the unit's dependencies and Merkle proof. 3: the
 * same frames, but a submitter records only results their worker vouches for (a node: signs), which a worker of
 * version 2 does not.
 */
export const JOBS_WIRE_VERSION = 3
/** Hard limit on one encoded jobs message (a grant carries the whole DAG). */
export const JOBS_MAX_BYTES = 1024 * 1024
export const MAX_UNITS = 20_000
export const MAX_ID_BYTES = 256
export const MAX_PAYLOAD_BYTES = 4096
export const MAX_SUMMARY_BYTES = 16 * 1024
/** Largest count or term on the wire. */
export const MAX_COUNT = 1_000_000_000
/** Bytes of a SHA-256 hash: a job's Merkle root, each hash of a proof. */
export const HASH_BYTES = 32
/** Hashes in a unit's Merkle proof at most: the depth of a tree of `MAX_UNITS` leaves, ceil(log2(20,000)). */
export const MAX_PROOF_HASHES = 15

/** One unit of a job as it travels: id, dependencies, estimated cost, opaque payload (driver-defined). */
export interface UnitSpec {
  readonly id: string
  readonly dependsOn: readonly string[]
  readonly cost: number
  readonly payload: string
}

/**
 * What a submitter commits to when it announces a job: how many units it has and the Merkle root over them (see
 * `commitment.ts`). Workers learn it from the submitter itself and check every ticket against it.
 */
export interface JobCommitment {
  readonly units: number
  readonly root: Uint8Array
}

/**
 * A unit handed to a worker: the unit as submitted (id, dependencies, cost, payload), enough to report its result
 * without the DAG, and its Merkle proof: its position among the job's units and the sibling hashes up to the root.
 */
export interface UnitTicket {
  readonly jobId: string
  readonly unitId: string
  readonly submitter: PeerId
  readonly leader: PeerId
  readonly term: number
  readonly dependsOn: readonly string[]
  readonly cost: number
  readonly payload: string
  readonly index: number
  readonly proof: readonly Uint8Array[]
}

/**
 * A bidder as the submitter passes it on to leaders: its slots and how fast it says it is, in
 * microseconds per unit of cost (0: it does not know yet), so a new leader need not guess.
 */
export interface WorkerSlots { readonly peer: PeerId, readonly slots: number, readonly usPerCost: number }

export type JobsMessage =
  /** Submitter -> everyone (gossip, signed by its author): a job of `units` units whose Merkle root is `root`. */
  | { readonly type: 'announce', readonly jobId: string, readonly units: number, readonly root: Uint8Array }
  | { readonly type: 'ended', readonly jobId: string, readonly ok: boolean }
  | { readonly type: 'bid', readonly jobId: string, readonly slots: number, readonly free: number, readonly usPerCost: number }
  | { readonly type: 'grant', readonly jobId: string, readonly term: number, readonly units: readonly UnitSpec[], readonly done: readonly string[], readonly workers: readonly WorkerSlots[] }
  /** Leader -> submitter: renew my lease; `at` is the leader's clock when sent, echoed in the ack. */
  | { readonly type: 'lease', readonly jobId: string, readonly term: number, readonly at: number }
  | { readonly type: 'lease-ack', readonly jobId: string, readonly term: number, readonly at: number, readonly workers: readonly WorkerSlots[] }
  | { readonly type: 'assign', readonly tickets: readonly UnitTicket[] }
  | { readonly type: 'held', readonly jobId: string, readonly term: number, readonly units: readonly string[] }
  | { readonly type: 'result', readonly jobId: string, readonly unitId: string, readonly ok: boolean, readonly summary: string }
  | { readonly type: 'result-ack', readonly jobId: string, readonly unitId: string }
  | { readonly type: 'steal', readonly want: number }
  | { readonly type: 'stolen', readonly tickets: readonly UnitTicket[] }
  /**
   * Submitter -> bidder: `leader` leads `jobId` for `term` (sent on each grant, and in answer to a bid once the job has
   * a leader), with the job's commitment (`units`, `root`): a worker that missed the announce learns it here.
   */
  | { readonly type: 'leader', readonly jobId: string, readonly term: number, readonly leader: PeerId, readonly units: number, readonly root: Uint8Array }
  /** Worker -> leader: the unit was not run here (its setup failed): run it elsewhere. `reason` is the worker's report. */
  | { readonly type: 'not-run', readonly jobId: string, readonly unitId: string, readonly reason: string }

const TYPE_TAGS = {
  announce: 1, ended: 2, bid: 3, grant: 4, lease: 5, 'lease-ack': 6, assign: 7, held: 8, result: 9, 'result-ack': 10, steal: 11, stolen: 12, leader: 13, 'not-run': 14
} as const

/**
 * Which channel each message type may arrive on: `announce` only on the gossip topic, `ended` on both (gossiped by
 * the submitter, and sent direct in answer to a late result or lease), everything else only on the direct stream.
 */
export function allowedOn (type: JobsMessage['type'], channel: 'gossip' | 'direct'): boolean {
  if (type === 'ended') return true
  return (type === 'announce') === (channel === 'gossip')
}

function readId (r: WireReader, what: string): string {
  const id = r.string(MAX_ID_BYTES)
  if (id.length === 0) throw new MalformedMessageError(`${what} is empty`)
  return id
}

function readBool (r: WireReader): boolean {
  const b = r.byte()
  if (b > 1) throw new MalformedMessageError('boolean is neither 0 nor 1')
  return b === 1
}

function writeIds (w: WireWriter, ids: readonly string[]): void {
  w.uint(ids.length)
  for (const id of ids) w.string(id)
}

function readIds (r: WireReader, what: string): string[] {
  const count = r.uint(MAX_UNITS)
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push(readId(r, what))
  return ids
}

/** One unit as grants carry it (and as its Merkle leaf hashes it): id, cost, payload, dependencies. */
export function writeUnit (w: WireWriter, u: UnitSpec): void {
  writeIds(w.string(u.id).uint(u.cost).string(u.payload), u.dependsOn)
}

function writeUnits (w: WireWriter, units: readonly UnitSpec[]): void {
  w.uint(units.length)
  for (const u of units) writeUnit(w, u)
}

function readUnits (r: WireReader): UnitSpec[] {
  const count = r.uint(MAX_UNITS)
  const units: UnitSpec[] = []
  for (let i = 0; i < count; i++) {
    const id = readId(r, 'unit id')
    const cost = r.uint(MAX_COUNT)
    const payload = r.string(MAX_PAYLOAD_BYTES)
    units.push({ id, cost, payload, dependsOn: readIds(r, 'dependency id') })
  }
  return units
}

function writeHash (w: WireWriter, hash: Uint8Array): void {
  if (hash.length !== HASH_BYTES) throw new MalformedMessageError(`a hash of ${hash.length} bytes, not ${HASH_BYTES}`)
  w.raw(hash)
}

function writeTickets (w: WireWriter, tickets: readonly UnitTicket[]): void {
  w.uint(tickets.length)
  for (const t of tickets) {
    w.string(t.jobId).string(t.unitId).string(t.submitter).string(t.leader).uint(t.term).uint(t.cost).string(t.payload)
    writeIds(w, t.dependsOn)
    w.uint(t.index).uint(t.proof.length)
    for (const hash of t.proof) writeHash(w, hash)
  }
}

function readTickets (r: WireReader): UnitTicket[] {
  const count = r.uint(MAX_UNITS)
  const tickets: UnitTicket[] = []
  for (let i = 0; i < count; i++) {
    const jobId = readId(r, 'job id')
    const unitId = readId(r, 'unit id')
    const submitter = readId(r, 'submitter')
    const leader = readId(r, 'leader')
    const term = r.uint(MAX_COUNT)
    const cost = r.uint(MAX_COUNT)
    const payload = r.string(MAX_PAYLOAD_BYTES)
    const dependsOn = readIds(r, 'dependency id')
    const index = r.uint(MAX_UNITS - 1)
    const proof: Uint8Array[] = []
    for (let n = r.uint(MAX_PROOF_HASHES); n > 0; n--) proof.push(r.raw(HASH_BYTES))
    tickets.push({ jobId, unitId, submitter, leader, term, dependsOn, cost, payload, index, proof })
  }
  return tickets
}

/** A job's unit count as announced: at least one, at most `MAX_UNITS`. */
function readUnitCount (r: WireReader): number {
  const units = r.uint(MAX_UNITS)
  if (units === 0) throw new MalformedMessageError('a job of no units')
  return units
}

function writeWorkers (w: WireWriter, workers: readonly WorkerSlots[]): void {
  w.uint(workers.length)
  for (const x of workers) w.string(x.peer).uint(x.slots).uint(x.usPerCost)
}

function readWorkers (r: WireReader): WorkerSlots[] {
  const count = r.uint(MAX_UNITS)
  const workers: WorkerSlots[] = []
  for (let i = 0; i < count; i++) workers.push({ peer: readId(r, 'worker'), slots: r.uint(MAX_COUNT), usPerCost: r.uint(MAX_COUNT) })
  return workers
}

function encodeBody (w: WireWriter, m: JobsMessage): void {
  switch (m.type) {
    case 'announce': writeHash(w.string(m.jobId).uint(m.units), m.root); break
    case 'ended': w.string(m.jobId).byte(m.ok ? 1 : 0); break
    case 'bid': w.string(m.jobId).uint(m.slots).uint(m.free).uint(m.usPerCost); break
    case 'grant': writeUnits(w.string(m.jobId).uint(m.term), m.units); writeIds(w, m.done); writeWorkers(w, m.workers); break
    case 'lease': w.string(m.jobId).uint(m.term).uint(m.at); break
    case 'lease-ack': writeWorkers(w.string(m.jobId).uint(m.term).uint(m.at), m.workers); break
    case 'assign': writeTickets(w, m.tickets); break
    case 'held': writeIds(w.string(m.jobId).uint(m.term), m.units); break
    case 'result': w.string(m.jobId).string(m.unitId).byte(m.ok ? 1 : 0).string(m.summary); break
    case 'result-ack': w.string(m.jobId).string(m.unitId); break
    case 'steal': w.uint(m.want); break
    case 'stolen': writeTickets(w, m.tickets); break
    case 'leader': writeHash(w.string(m.jobId).uint(m.term).string(m.leader).uint(m.units), m.root); break
    case 'not-run': w.string(m.jobId).string(m.unitId).string(m.reason); break
  }
}

function decodeBody (r: WireReader): JobsMessage {
  switch (r.type) {
    case 1: return { type: 'announce', jobId: readId(r, 'job id'), units: readUnitCount(r), root: r.raw(HASH_BYTES) }
    case 2: return { type: 'ended', jobId: readId(r, 'job id'), ok: readBool(r) }
    case 3: return { type: 'bid', jobId: readId(r, 'job id'), slots: r.uint(MAX_COUNT), free: r.uint(MAX_COUNT), usPerCost: r.uint(MAX_COUNT) }
    case 4: return { type: 'grant', jobId: readId(r, 'job id'), term: r.uint(MAX_COUNT), units: readUnits(r), done: readIds(r, 'unit id'), workers: readWorkers(r) }
    case 5: return { type: 'lease', jobId: readId(r, 'job id'), term: r.uint(MAX_COUNT), at: r.uint() }
    case 6: return { type: 'lease-ack', jobId: readId(r, 'job id'), term: r.uint(MAX_COUNT), at: r.uint(), workers: readWorkers(r) }
    case 7: return { type: 'assign', tickets: readTickets(r) }
    case 8: return { type: 'held', jobId: readId(r, 'job id'), term: r.uint(MAX_COUNT), units: readIds(r, 'unit id') }
    case 9: return { type: 'result', jobId: readId(r, 'job id'), unitId: readId(r, 'unit id'), ok: readBool(r), summary: r.string(MAX_SUMMARY_BYTES) }
    case 10: return { type: 'result-ack', jobId: readId(r, 'job id'), unitId: readId(r, 'unit id') }
    case 11: return { type: 'steal', want: r.uint(MAX_UNITS) }
    case 12: return { type: 'stolen', tickets: readTickets(r) }
    case 13: return { type: 'leader', jobId: readId(r, 'job id'), term: r.uint(MAX_COUNT), leader: readId(r, 'leader'), units: readUnitCount(r), root: r.raw(HASH_BYTES) }
    case 14: return { type: 'not-run', jobId: readId(r, 'job id'), unitId: readId(r, 'unit id'), reason: r.string(MAX_SUMMARY_BYTES) }
    default: throw new MalformedMessageError(`unknown jobs message type ${r.type}`)
  }
}

/** The jobs wire codec: version byte, type byte, then varint/string fields; every field range-checked. */
export const jobsCodec: MessageCodec<JobsMessage> = {
  version: JOBS_WIRE_VERSION,
  maxBytes: JOBS_MAX_BYTES,
  encode (message: JobsMessage): Uint8Array {
    const w = new WireWriter(JOBS_WIRE_VERSION, TYPE_TAGS[message.type], 128)
    encodeBody(w, message)
    return w.finish(JOBS_MAX_BYTES)
  },
  decode (bytes: Uint8Array): JobsMessage {
    const r = new WireReader(bytes, JOBS_WIRE_VERSION, JOBS_MAX_BYTES)
    const message = decodeBody(r)
    r.end()
    return message
  }
}
