import type { PeerId } from '../../protocols/core/index.js'
import { CAS_PROTOCOL } from '../../protocols/cache/index.js'
import type { SignedRecord } from '../../protocols/cache/index.js'
import type { PurposeValue } from './blobs.js'
import type { Flow } from './body-flows.js'

/** Responses travel on their own "stream" id so the harness can route them to the fetcher. */
export const CAS_RESPONSE = `${CAS_PROTOCOL}#response`

export function isCasVia (via: string): boolean {
  return via === CAS_PROTOCOL || via === CAS_RESPONSE
}

/** One fetch or replica pull on `/gmesh/cas/1.0.0`, from its request until its body is in or it is called off. */
export interface Transfer {
  readonly id: string
  readonly token: number
  readonly purpose: PurposeValue
  readonly client: number
  readonly server: number
  readonly peer: PeerId
  readonly key: string
  readonly startedAt: number
  readonly offered?: SignedRecord
  /** asked: the request is out; served: the provider sent a header (and streams the body); body: the header was accepted. */
  phase: 'asked' | 'served' | 'body'
  /** What the provider sends (its stored bytes, or a corrupt copy) once it serves. */
  body?: Uint8Array
  flow?: Flow
  /** Counted in the provider's uploads. */
  uploading: boolean
  /** The provider died with the stream open: its reset is on the way. */
  reset: boolean
  /** A lookup's fetch from a provider that had answered this lookup busy. */
  readonly retry: boolean
  /** A pull: which try of the push offer it answers. */
  readonly offerTry: number
  /** A lookup's fetch: its command's `attempt`, passed back with each report (a pull has none). */
  readonly attempt?: number
}

export function transferId (node: number, purpose: PurposeValue, key: string, peer: PeerId): string {
  return `${node}|${purpose}|${key}|${peer}`
}

/** What the drivers' blob transfers did, for the run summary. */
export interface TransferStats {
  fetches: number
  corruptRejected: number
  servedCorrupt: number
  pushes: number
  replicasStored: number
  bytes: number
  /** Fetches answered busy: the provider had 16 uploads running. */
  busy: number
  /** Lookup fetches sent again to a provider that had answered that lookup busy, and those that brought the entry. */
  busyRetried: number
  busyRetryHits: number
  /** Streams reset past a provider's limit of streams per peer. */
  resets: number
  /** Transfers whose provider's process died under them (a header or body on its way: the stream is reset, an `error`). */
  cutByCrash: number
  /** Requests that reached a dead provider's machine: refused, an `error`. */
  refusedByDead: number
  /** Lookup hits whose body came from a dripping provider. */
  dripHits: number
  /** Progress reports of lookup bodies still moving (the one when all bytes are in is not counted). */
  progressReports: number
}

export function newTransferStats (): TransferStats {
  return {
    fetches: 0, corruptRejected: 0, servedCorrupt: 0, pushes: 0, replicasStored: 0, bytes: 0,
    busy: 0, busyRetried: 0, busyRetryHits: 0, resets: 0, cutByCrash: 0, refusedByDead: 0, dripHits: 0, progressReports: 0
  }
}
