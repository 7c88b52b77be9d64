import type { PeerId } from '../core/index.js'
import type { SignedRecord } from './record.js'
import type { SavedReplication } from './replica-backlog.js'
import { recordFromStored } from './stored-record.js'
import type { StoredEntry } from './stored-record.js'

/**
 * The replica backlog kept across restarts (`ReplicaBacklog.saved`): its text form, and which of its entries a
 * restarted node offers again. The driver reads and writes the file (node/mesh/replica-backlog-file.ts).
 */

const FORMAT_VERSION = 1
const KEY = /^[0-9a-f]{32,128}$/
const SHA256 = /^[0-9a-f]{64}$/

export class SavedReplicationsFormatError extends Error {
  constructor (reason: string) {
    super(`saved replica backlog: ${reason}`)
    this.name = 'SavedReplicationsFormatError'
  }
}

/** `{ "version": 1, "entries": [[key, sha256, offers], ...] }`, oldest offer first. */
export function encodeSavedReplications (saved: readonly SavedReplication[]): string {
  return JSON.stringify({ version: FORMAT_VERSION, entries: saved.map(({ key, sha256, offers }) => [key, sha256, offers]) }) + '\n'
}

/** The entries of `encodeSavedReplications` text; SavedReplicationsFormatError for anything else (a truncated write, another version). */
export function decodeSavedReplications (text: string): SavedReplication[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SavedReplicationsFormatError('not JSON (a truncated write?)')
  }
  if (typeof value !== 'object' || value === null) throw new SavedReplicationsFormatError('not an object')
  const { version, entries } = value as { version?: unknown, entries?: unknown }
  if (version !== FORMAT_VERSION) throw new SavedReplicationsFormatError(`version ${String(version)}, not ${FORMAT_VERSION}`)
  if (!Array.isArray(entries)) throw new SavedReplicationsFormatError('no entries list')
  return entries.map((entry: unknown, at) => {
    if (!Array.isArray(entry) || entry.length !== 3) throw new SavedReplicationsFormatError(`entry ${at} is not [key, sha256, offers]`)
    const [key, sha256, offers] = entry as unknown[]
    if (typeof key !== 'string' || !KEY.test(key)) throw new SavedReplicationsFormatError(`entry ${at}: not a Gradle key`)
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw new SavedReplicationsFormatError(`entry ${at}: not a SHA-256`)
    if (typeof offers !== 'number' || !Number.isSafeInteger(offers) || offers < 0) throw new SavedReplicationsFormatError(`entry ${at}: not an offer count`)
    return { key, sha256, offers }
  })
}

/** What decides whether a saved entry is offered again. */
export interface ResumeLimits {
  readonly self: PeerId
  /** Offers of one entry before it is given up (`ReplicaRetryConfig.maxOffers`). */
  readonly maxOffers: number
  /** Entries resumed at most, the newest kept (`ReplicaRetryConfig.maxEntries`). */
  readonly maxEntries: number
  /** Entries bigger than this are not pushed (`ReplicationConfig.maxPushBytes`). */
  readonly maxPushBytes: number
}

/**
 * The saved entries a restarted node offers again, with their offers so far: only those its store still holds with
 * the same bytes (one evicted, dropped or PUT again with other bytes meanwhile is not offered), under its own signed
 * record, with offers left and within the push size; each key once (its last), the newest `maxEntries`.
 * `stored` is the store's entry of each saved key, where it has one.
 */
export function replicationsToResume (saved: readonly SavedReplication[], stored: ReadonlyMap<string, StoredEntry>, limits: ResumeLimits):
Array<{ readonly record: SignedRecord, readonly offers: number }> {
  const byKey = new Map<string, { record: SignedRecord, offers: number }>()
  for (const { key, sha256, offers } of saved) {
    byKey.delete(key)
    const entry = stored.get(key)
    if (entry === undefined || entry.key !== key || entry.sha256 !== sha256) continue
    const record = recordFromStored(entry)
    if (record === undefined || record.producer !== limits.self) continue
    if (offers >= limits.maxOffers || record.size > limits.maxPushBytes) continue
    byKey.set(key, { record, offers })
  }
  const resumed = [...byKey.values()]
  return resumed.slice(Math.max(0, resumed.length - limits.maxEntries))
}
