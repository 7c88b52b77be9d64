import { CodecError, MalformedMessageError, WireReader, WireWriter } from '../core/index.js'
import type { MessageCodec, PeerId } from '../core/index.js'

/** Topic the membership protocol gossips on (gossipsub on a node, the gossip model in the simulator). */
export const MEMBERSHIP_TOPIC = 'gmesh/v1/membership'
/** Direct stream protocol id for probes, joins and welcomes. */
export const MEMBERSHIP_PROTOCOL = '/gmesh/membership/1.0.0'
export const MEMBERSHIP_WIRE_VERSION = 1
/** Hard limit on one encoded membership message. */
export const MEMBERSHIP_MAX_BYTES = 64 * 1024
/** Most member records in one message (a welcome is split into chunks of this size). */
export const MAX_RECORDS_PER_MESSAGE = 256
export const MAX_PEER_ID_BYTES = 128
/** Peers fall into this many buckets by hash; a pull carries one alive-set digest per bucket. */
export const DIGEST_BUCKETS = 64

/** What a node says about its own work; read by scheduling and stealing. */
export interface Load {
  /** Build slots it offers (0 for a node that does not accept builds). */
  readonly capacity: number
  readonly running: number
  readonly queued: number
  /** Bytes held in its content-addressed store. */
  readonly cacheBytes: number
}

export const NO_LOAD: Load = Object.freeze({ capacity: 0, running: 0, queued: 0, cacheBytes: 0 })

export type MemberStatus = 'alive' | 'suspect' | 'dead'
const STATUSES: readonly MemberStatus[] = ['alive', 'suspect', 'dead']

/** One peer's state as some node sees it: the unit of dissemination. */
export interface MemberRecord {
  readonly peer: PeerId
  readonly status: MemberStatus
  readonly incarnation: number
  readonly load: Load
}

/**
 * Pings and direct acks carry `digest`, the sender's alive-set digest (anti-entropy: a mismatch
 * that persists makes the receiver pull what it may lack from the sender). It is the last field and
 * optional on the wire, so a ping or ack without it still decodes; a relayed ack has none.
 */
export type MembershipMessage =
  | { readonly type: 'ping', readonly seq: number, readonly incarnation: number, readonly load: Load, readonly about?: MemberRecord, readonly digest?: number }
  | { readonly type: 'ack', readonly seq: number, readonly subject: PeerId, readonly incarnation: number, readonly load: Load, readonly about?: MemberRecord, readonly digest?: number }
  | { readonly type: 'ping-req', readonly seq: number, readonly target: PeerId }
  | { readonly type: 'join', readonly incarnation: number, readonly load: Load }
  | { readonly type: 'welcome', readonly part: number, readonly parts: number, readonly members: readonly MemberRecord[], readonly about?: MemberRecord }
  | { readonly type: 'gossip', readonly updates: readonly MemberRecord[] }
  /** Anti-entropy: asks for the records of every bucket whose digest differs from `buckets` (answered with welcome parts). */
  | { readonly type: 'pull', readonly buckets: readonly number[] }

/**
 * Which channel each message type may arrive on: `gossip` (heartbeats, suspicions, deaths, refutations) only on the
 * topic, everything else (pings, acks, relays, joins, welcomes, pulls) only on the stream. Gossipsub authenticates a
 * message's author, not a connection: a join or ping taken from the topic was answered to whoever signed it, made-up
 * keys included (a welcome to each, and the join answer limit full for the real joiners). `via`: the topic or protocol.
 */
export function allowedOn (type: MembershipMessage['type'], via: string): boolean {
  return via === MEMBERSHIP_TOPIC ? type === 'gossip' : via === MEMBERSHIP_PROTOCOL && type !== 'gossip'
}

const TYPE_TAGS = { ping: 1, ack: 2, 'ping-req': 3, join: 4, welcome: 5, gossip: 6, pull: 7 } as const
const MAX_COUNT = 1_000_000_000
const MAX_SEQ = 2 ** 32 - 1
/** The largest incarnation the wire carries: a node never refutes past it (its messages would all be refused). */
export const MAX_INCARNATION = MAX_SEQ
const MAX_DIGEST = 2 ** 32 - 1

function writeLoad (w: WireWriter, load: Load): void {
  w.uint(load.capacity).uint(load.running).uint(load.queued).uint(load.cacheBytes)
}

function readLoad (r: WireReader): Load {
  return { capacity: r.uint(MAX_COUNT), running: r.uint(MAX_COUNT), queued: r.uint(MAX_COUNT), cacheBytes: r.uint() }
}

function writeRecord (w: WireWriter, record: MemberRecord): void {
  w.string(record.peer).byte(STATUSES.indexOf(record.status)).uint(record.incarnation)
  writeLoad(w, record.load)
}

function readPeer (r: WireReader): PeerId {
  const peer = r.string(MAX_PEER_ID_BYTES)
  if (peer.length === 0) throw new MalformedMessageError('peer id is empty')
  return peer
}

function readRecord (r: WireReader): MemberRecord {
  const peer = readPeer(r)
  const status = STATUSES[r.byte()]
  if (status === undefined) throw new MalformedMessageError('member status is not alive, suspect or dead')
  return { peer, status, incarnation: r.uint(MAX_SEQ), load: readLoad(r) }
}

function writeOptionalRecord (w: WireWriter, record: MemberRecord | undefined): void {
  if (record === undefined) w.byte(0)
  else writeRecord(w.byte(1), record)
}

function readOptionalRecord (r: WireReader): MemberRecord | undefined {
  const flag = r.byte()
  if (flag > 1) throw new MalformedMessageError('optional record flag is neither 0 nor 1')
  return flag === 1 ? readRecord(r) : undefined
}

function writeRecords (w: WireWriter, records: readonly MemberRecord[]): void {
  if (records.length > MAX_RECORDS_PER_MESSAGE) throw new MalformedMessageError(`${records.length} records are over the limit of ${MAX_RECORDS_PER_MESSAGE}`)
  w.uint(records.length)
  for (const record of records) writeRecord(w, record)
}

function readRecords (r: WireReader): MemberRecord[] {
  const count = r.uint(MAX_RECORDS_PER_MESSAGE)
  const records: MemberRecord[] = []
  for (let i = 0; i < count; i++) records.push(readRecord(r))
  return records
}

function encodeBody (w: WireWriter, m: MembershipMessage): void {
  switch (m.type) {
    case 'ping': writeLoad(w.uint(m.seq).uint(m.incarnation), m.load); writeOptionalRecord(w, m.about); writeDigest(w, m.digest); break
    case 'ack': writeLoad(w.uint(m.seq).string(m.subject).uint(m.incarnation), m.load); writeOptionalRecord(w, m.about); writeDigest(w, m.digest); break
    case 'ping-req': w.uint(m.seq).string(m.target); break
    case 'join': writeLoad(w.uint(m.incarnation), m.load); break
    case 'welcome': writeRecords(w.uint(m.part).uint(m.parts), m.members); writeOptionalRecord(w, m.about); break
    case 'gossip': writeRecords(w, m.updates); break
    case 'pull': writeBuckets(w, m.buckets); break
  }
}

function decodeBody (r: WireReader): MembershipMessage {
  switch (r.type) {
    case 1: return withDigest(withAbout({ type: 'ping', seq: r.uint(MAX_SEQ), incarnation: r.uint(MAX_SEQ), load: readLoad(r) }, r), r)
    case 2: return withDigest(withAbout({ type: 'ack', seq: r.uint(MAX_SEQ), subject: readPeer(r), incarnation: r.uint(MAX_SEQ), load: readLoad(r) }, r), r)
    case 3: return { type: 'ping-req', seq: r.uint(MAX_SEQ), target: readPeer(r) }
    case 4: return { type: 'join', incarnation: r.uint(MAX_SEQ), load: readLoad(r) }
    case 5: return withAbout(readWelcomeHead(r), r)
    case 6: return { type: 'gossip', updates: readRecords(r) }
    case 7: return { type: 'pull', buckets: readBuckets(r) }
    default: throw new MalformedMessageError(`unknown membership message type ${r.type}`)
  }
}

const MAX_PARTS = 4096

function readWelcomeHead (r: WireReader): MembershipMessage {
  const part = r.uint(MAX_PARTS)
  const parts = r.uint(MAX_PARTS)
  if (parts === 0 || part >= parts) throw new MalformedMessageError(`welcome part ${part} of ${parts} is out of range`)
  return { type: 'welcome', part, parts, members: readRecords(r) }
}

function withAbout<T extends MembershipMessage> (message: T, r: WireReader): T {
  const about = readOptionalRecord(r)
  return about === undefined ? message : { ...message, about }
}

function writeDigest (w: WireWriter, digest: number | undefined): void {
  if (digest !== undefined) w.uint(digest)
}

function withDigest<T extends MembershipMessage> (message: T, r: WireReader): T {
  return r.atEnd ? message : { ...message, digest: r.uint(MAX_DIGEST) }
}

function writeBuckets (w: WireWriter, buckets: readonly number[]): void {
  if (buckets.length !== DIGEST_BUCKETS) throw new MalformedMessageError(`a pull carries ${DIGEST_BUCKETS} bucket digests, not ${buckets.length}`)
  for (const digest of buckets) w.uint(digest)
}

function readBuckets (r: WireReader): number[] {
  const buckets: number[] = []
  for (let i = 0; i < DIGEST_BUCKETS; i++) buckets.push(r.uint(MAX_DIGEST))
  return buckets
}

/** The membership wire codec: one version byte, one type byte, then varint/string fields. */
export const membershipCodec: MessageCodec<MembershipMessage> = {
  version: MEMBERSHIP_WIRE_VERSION,
  maxBytes: MEMBERSHIP_MAX_BYTES,
  encode (message: MembershipMessage): Uint8Array {
    const w = new WireWriter(MEMBERSHIP_WIRE_VERSION, TYPE_TAGS[message.type])
    encodeBody(w, message)
    return w.finish(MEMBERSHIP_MAX_BYTES)
  },
  decode (bytes: Uint8Array): MembershipMessage {
    const r = new WireReader(bytes, MEMBERSHIP_WIRE_VERSION, MEMBERSHIP_MAX_BYTES)
    const message = decodeBody(r)
    r.end()
    return message
  }
}

/** The message `bytes` that arrived `via` (the topic or the protocol), or undefined: malformed, or on the wrong channel (see `allowedOn`). */
export function decodeOn (bytes: Uint8Array, via: string): MembershipMessage | undefined {
  try {
    const message = membershipCodec.decode(bytes)
    return allowedOn(message.type, via) ? message : undefined
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    return undefined
  }
}
