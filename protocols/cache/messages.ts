import { MalformedMessageError, WireReader, WireWriter } from '../core/index.js'
import type { MessageCodec, PeerId } from '../core/index.js'
import { TooManyRecordsError } from './errors.js'
import { GRADLE_KEY_PATTERN, SHA256_PATTERN, readPeerId, readRecord, writeRecord } from './record.js'
import type { SignedRecord } from './record.js'

/** Gossip topic for announcement batches. */
export const CACHE_TOPIC = 'gmesh/v1/cache'
/** Request/response stream protocol for fetching and pushing blobs (a header frame, then raw bytes). */
export const CAS_PROTOCOL = '/gmesh/cas/1.0.0'
/**
 * One-way frames (core `send` effects) for index sync: a newcomer asks a peer for what it knows. 1.2.0: each page
 * carries its number, so the asker knows it has them all whatever order they arrive in (1.1.0 pages cannot say).
 * 1.3.0 pages through a large index with two optional trailing fields, written only when set (so a frame without
 * them is byte for byte a 1.2.0 one): a last page's `next` says the answer was cut short, and a request's `after`
 * asks for the rest. A node speaks both: it asks on 1.3.0, or 1.2.0 if the peer speaks only that, and answers each
 * on the version it was asked on, on 1.2.0 as a 1.2.0 node did (cut off at `maxClaims`, no `next`: a 1.2.0 decoder
 * rejects trailing bytes, and would reject that answer and retry for good). Pages come back on the version asked.
 */
export const CACHE_INDEX_PROTOCOL = '/gmesh/cache-index/1.3.0'
/** Index sync as 1.2.0 nodes speak it: no `after`, no `next` (see CACHE_INDEX_PROTOCOL). */
export const CACHE_INDEX_PROTOCOL_1_2 = '/gmesh/cache-index/1.2.0'
export const CACHE_WIRE_VERSION = 1

/** Most records in one announcement batch or index page. */
export const MAX_RECORDS_PER_MESSAGE = 128
/** Hard limit on one gossip or index-sync message (128 records of ~400 bytes fit). */
export const CACHE_MESSAGE_MAX_BYTES = 64 * 1024
/** Hard limit on a CAS stream header frame (one record at most). */
export const CAS_HEADER_MAX_BYTES = 4 * 1024

const MAX_REQUEST_ID = 2 ** 32 - 1
/** Page numbers of one index answer stay below this (8,192 claims fill about 64 pages). */
export const MAX_INDEX_PAGES = 4096

/** Gossip on `gmesh/v1/cache`: the publisher (gossipsub's signed `from`) provides every record it lists. */
export interface AnnounceBatch { readonly type: 'announce', readonly records: readonly SignedRecord[] }

function writeRecords (w: WireWriter, records: readonly SignedRecord[]): void {
  if (records.length > MAX_RECORDS_PER_MESSAGE) throw new TooManyRecordsError(records.length, MAX_RECORDS_PER_MESSAGE)
  w.uint(records.length)
  for (const record of records) writeRecord(w, record)
}

function readRecords (r: WireReader): SignedRecord[] {
  const count = r.uint()
  if (count > MAX_RECORDS_PER_MESSAGE) throw new TooManyRecordsError(count, MAX_RECORDS_PER_MESSAGE)
  const records: SignedRecord[] = []
  for (let i = 0; i < count; i++) records.push(readRecord(r))
  return records
}

export const announceCodec: MessageCodec<AnnounceBatch> = {
  version: CACHE_WIRE_VERSION,
  maxBytes: CACHE_MESSAGE_MAX_BYTES,
  encode (message) {
    const w = new WireWriter(CACHE_WIRE_VERSION, 1, 512)
    writeRecords(w, message.records)
    return w.finish(CACHE_MESSAGE_MAX_BYTES)
  },
  decode (bytes) {
    const r = new WireReader(bytes, CACHE_WIRE_VERSION, CACHE_MESSAGE_MAX_BYTES)
    if (r.type !== 1) throw new MalformedMessageError(`unknown cache gossip message type ${r.type}`)
    const message: AnnounceBatch = { type: 'announce', records: readRecords(r) }
    r.end()
    return message
  }
}

/** A provider entry as one node passes it on to another during index sync. */
/**
 * A provider's claim to hold the entry `record` names. `ageMs`: how long ago the sender's node heard it first-hand
 * (0: the provider itself), so a claim passed on through index sync keeps its age and expires on time.
 */
export interface ProviderClaim { readonly provider: PeerId, readonly record: SignedRecord, readonly ageMs?: number }

/** Ages past this are sent as this (49 days: far past any index TTL). */
const MAX_CLAIM_AGE_MS = 2 ** 32 - 1

export type IndexSyncMessage =
  /** `after`: only claims of keys after this Gradle key (key order), to go on with an answer that was cut short. */
  | { readonly type: 'index-request', readonly requestId: number, readonly after?: string }
  /**
   * `page` counts from 0; the `last` page's number + 1 is how many pages the answer has. `next` (last page only): the
   * answer stopped after this key's claims and more follow it; ask again with `after: next` for the rest.
   */
  | {
    readonly type: 'index-page', readonly requestId: number, readonly page: number, readonly last: boolean,
    readonly claims: readonly ProviderClaim[], readonly next?: string
  }

function encodeIndexBody (w: WireWriter, m: IndexSyncMessage): void {
  w.uint(m.requestId)
  if (m.type === 'index-request') {
    if (m.after !== undefined) w.string(checked(m.after, GRADLE_KEY_PATTERN, 'after'))
    return
  }
  if (m.next !== undefined && !m.last) throw new MalformedMessageError('only the last index page says where the answer stopped')
  if (m.claims.length > MAX_RECORDS_PER_MESSAGE) throw new TooManyRecordsError(m.claims.length, MAX_RECORDS_PER_MESSAGE)
  if (m.page >= MAX_INDEX_PAGES) throw new MalformedMessageError(`index page ${m.page} is past the ${MAX_INDEX_PAGES} an answer may have`)
  w.byte(m.last ? 1 : 0).uint(m.page).uint(m.claims.length)
  for (const claim of m.claims) {
    writeRecord(w.string(claim.provider), claim.record)
    w.uint(Math.min(MAX_CLAIM_AGE_MS, Math.max(0, Math.floor(claim.ageMs ?? 0))))
  }
  if (m.next !== undefined) w.string(checked(m.next, GRADLE_KEY_PATTERN, 'next'))
}

/** A Gradle key written at the end of a frame, if there is one (the field is optional). */
function readOptionalKey (r: WireReader, what: string): string | undefined {
  return r.atEnd ? undefined : checked(r.string(128), GRADLE_KEY_PATTERN, what)
}

function decodeIndexPage (r: WireReader, requestId: number): IndexSyncMessage {
  const flag = r.byte()
  if (flag > 1) throw new MalformedMessageError('index page "last" flag is neither 0 nor 1')
  const page = r.uint(MAX_INDEX_PAGES - 1)
  const count = r.uint()
  if (count > MAX_RECORDS_PER_MESSAGE) throw new TooManyRecordsError(count, MAX_RECORDS_PER_MESSAGE)
  const claims: ProviderClaim[] = []
  for (let i = 0; i < count; i++) claims.push({ provider: readPeerId(r), record: readRecord(r), ageMs: r.uint(MAX_CLAIM_AGE_MS) })
  const message = { type: 'index-page', requestId, page, last: flag === 1, claims } as const
  if (flag === 0) return message // a page before the last carries no `next`: trailing bytes fail r.end()
  const next = readOptionalKey(r, 'next')
  return next === undefined ? message : { ...message, next }
}

function decodeIndexRequest (r: WireReader, requestId: number): IndexSyncMessage {
  const after = readOptionalKey(r, 'after')
  return after === undefined ? { type: 'index-request', requestId } : { type: 'index-request', requestId, after }
}

export const indexSyncCodec: MessageCodec<IndexSyncMessage> = {
  version: CACHE_WIRE_VERSION,
  maxBytes: CACHE_MESSAGE_MAX_BYTES,
  encode (message) {
    const w = new WireWriter(CACHE_WIRE_VERSION, message.type === 'index-request' ? 1 : 2, 512)
    encodeIndexBody(w, message)
    return w.finish(CACHE_MESSAGE_MAX_BYTES)
  },
  decode (bytes) {
    const r = new WireReader(bytes, CACHE_WIRE_VERSION, CACHE_MESSAGE_MAX_BYTES)
    const requestId = r.uint(MAX_REQUEST_ID)
    let message: IndexSyncMessage
    if (r.type === 1) message = decodeIndexRequest(r, requestId)
    else if (r.type === 2) message = decodeIndexPage(r, requestId)
    else throw new MalformedMessageError(`unknown index sync message type ${r.type}`)
    r.end()
    return message
  }
}

export type FetchStatus = 'found' | 'missing' | 'busy'
export type PushStatus = 'stored' | 'have' | 'refused' | 'busy'
const FETCH_STATUSES: readonly FetchStatus[] = ['found', 'missing', 'busy']
const PUSH_STATUSES: readonly PushStatus[] = ['stored', 'have', 'refused', 'busy']

/**
 * Header frames on `/gmesh/cas/1.0.0`. A stream carries one request frame and one response frame.
 * - `fetch` (by Gradle key or by SHA-256) is answered by `fetch-response`; when `found`, exactly
 *   `size` raw bytes follow, which the fetcher hashes while streaming and drops on mismatch.
 *   A response to a fetch by Gradle key carries the producer's signed record.
 * - `push` (replication) offers an entry to a replica; it carries no body (one request frame, as
 *   the stream-rpc helper sends): a replica that accepts fetches the bytes from the pusher by key,
 *   through the normal verified fetch, then answers `push-ack` `stored` (`have` if it had them).
 */
export type CasFrame =
  | { readonly type: 'fetch', readonly by: 'key', readonly gradleKey: string }
  | { readonly type: 'fetch', readonly by: 'sha256', readonly sha256: string }
  | { readonly type: 'fetch-response', readonly status: FetchStatus, readonly sha256?: string, readonly size?: number, readonly record?: SignedRecord }
  | { readonly type: 'push', readonly record: SignedRecord }
  | { readonly type: 'push-ack', readonly status: PushStatus }

const CAS_TAGS = { fetch: 1, 'fetch-response': 2, push: 3, 'push-ack': 4 } as const

function encodeCasBody (w: WireWriter, m: CasFrame): void {
  switch (m.type) {
    case 'fetch':
      if (m.by === 'key') w.byte(0).string(m.gradleKey)
      else w.byte(1).string(m.sha256)
      return
    case 'fetch-response': encodeFetchResponse(w, m); return
    case 'push': writeRecord(w, m.record); return
    case 'push-ack': w.byte(PUSH_STATUSES.indexOf(m.status)); return
  }
}

function encodeFetchResponse (w: WireWriter, m: Extract<CasFrame, { type: 'fetch-response' }>): void {
  w.byte(FETCH_STATUSES.indexOf(m.status))
  if (m.status !== 'found') return
  const sha256 = m.sha256 ?? m.record?.sha256
  const size = m.size ?? m.record?.size
  if (sha256 === undefined || !SHA256_PATTERN.test(sha256) || size === undefined) throw new MalformedMessageError('a found response needs a sha256 and a size')
  w.string(sha256).uint(size)
  if (m.record === undefined) w.byte(0)
  else writeRecord(w.byte(1), m.record)
}

function decodeFetch (r: WireReader): CasFrame {
  const by = r.byte()
  if (by === 0) return { type: 'fetch', by: 'key', gradleKey: checked(r.string(128), GRADLE_KEY_PATTERN, 'gradleKey') }
  if (by === 1) return { type: 'fetch', by: 'sha256', sha256: checked(r.string(64), SHA256_PATTERN, 'sha256') }
  throw new MalformedMessageError('fetch request is neither by key nor by sha256')
}

function decodeFetchResponse (r: WireReader): CasFrame {
  const status = FETCH_STATUSES[r.byte()]
  if (status === undefined) throw new MalformedMessageError('fetch status is not found, missing or busy')
  if (status !== 'found') return { type: 'fetch-response', status }
  const sha256 = checked(r.string(64), SHA256_PATTERN, 'sha256')
  const size = r.uint()
  const flag = r.byte()
  if (flag > 1) throw new MalformedMessageError('record flag is neither 0 nor 1')
  if (flag === 0) return { type: 'fetch-response', status, sha256, size }
  const record = readRecord(r)
  if (record.sha256 !== sha256 || record.size !== size) throw new MalformedMessageError('fetch response disagrees with its own record')
  return { type: 'fetch-response', status, sha256, size, record }
}

function decodeCasBody (r: WireReader): CasFrame {
  switch (r.type) {
    case 1: return decodeFetch(r)
    case 2: return decodeFetchResponse(r)
    case 3: return { type: 'push', record: readRecord(r) }
    case 4: {
      const status = PUSH_STATUSES[r.byte()]
      if (status === undefined) throw new MalformedMessageError('push status is not stored, have, refused or busy')
      return { type: 'push-ack', status }
    }
    default: throw new MalformedMessageError(`unknown cas frame type ${r.type}`)
  }
}

function checked (value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new MalformedMessageError(`${what} is not lowercase hex of the right length`)
  return value
}

export const casFrameCodec: MessageCodec<CasFrame> = {
  version: CACHE_WIRE_VERSION,
  maxBytes: CAS_HEADER_MAX_BYTES,
  encode (message) {
    const w = new WireWriter(CACHE_WIRE_VERSION, CAS_TAGS[message.type], 256)
    encodeCasBody(w, message)
    return w.finish(CAS_HEADER_MAX_BYTES)
  },
  decode (bytes) {
    const r = new WireReader(bytes, CACHE_WIRE_VERSION, CAS_HEADER_MAX_BYTES)
    const message = decodeCasBody(r)
    r.end()
    return message
  }
}
