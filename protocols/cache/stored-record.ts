import { casFrameCodec } from './messages.js'
import { MAX_SIGNATURE_BYTES, validateRecordFields } from './record.js'
import type { SignedRecord } from './record.js'

/**
 * What the local store keeps per entry (`src/cas` `EntryMeta`): the record is rebuilt from these
 * fields, so a node can serve the producer's signed record with the blob.
 */
export interface StoredEntry {
  readonly key: string
  readonly sha256: string
  readonly size: number
  readonly producer?: string
  /** The `proof` string from `recordProof`, kept in the store's `signature` field. */
  readonly signature?: string
}

const PROOF_VERSION = '1'

/**
 * The string to store as `PutOptions.signature` next to `producer`: `1:<time>:<signature hex>`.
 * The store has no field for the record's time, and the time is part of the signed bytes.
 */
export function recordProof (record: SignedRecord): string {
  let hex = ''
  for (const b of record.signature) hex += b.toString(16).padStart(2, '0')
  return `${PROOF_VERSION}:${record.time}:${hex}`
}

/** The signed record of a stored entry, or undefined if it has none (a PUT from before the mesh) or it does not parse. */
export function recordFromStored (entry: StoredEntry): SignedRecord | undefined {
  if (entry.producer === undefined || entry.signature === undefined) return undefined
  const match = /^1:(\d{1,16}):((?:[0-9a-f]{2})+)$/.exec(entry.signature)
  if (match === null) return undefined
  const hex = match[2] as string
  if (hex.length / 2 > MAX_SIGNATURE_BYTES) return undefined
  const signature = new Uint8Array(hex.length / 2)
  for (let i = 0; i < signature.length; i++) signature[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  const record: SignedRecord = { gradleKey: entry.key, sha256: entry.sha256, size: entry.size, producer: entry.producer, time: Number(match[1]), signature }
  try {
    validateRecordFields(record)
  } catch {
    return undefined
  }
  return record
}

/**
 * The header a node writes in answer to a fetch on `/gmesh/cas/1.0.0`, from what its store holds
 * (`head(key)`), then it streams exactly `size` bytes when the status is `found`.
 * An entry asked for by Gradle key is only shared with its signed record: without one it is
 * `missing` (the fetcher would refuse it anyway). `busy` sheds load when uploads are saturated.
 */
export function fetchResponseHeader (by: 'key' | 'sha256', entry: StoredEntry | undefined, busy = false): Uint8Array {
  if (busy) return casFrameCodec.encode({ type: 'fetch-response', status: 'busy' })
  if (entry === undefined) return casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })
  const record = recordFromStored(entry)
  if (by === 'key' && record === undefined) return casFrameCodec.encode({ type: 'fetch-response', status: 'missing' })
  if (record === undefined) return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: entry.sha256, size: entry.size })
  return casFrameCodec.encode({ type: 'fetch-response', status: 'found', sha256: record.sha256, size: record.size, record })
}
