/**
 * Workers fetch a job's snapshot from its submitter: the manifest and the files it names, each
 * by SHA-256 over `/gmesh/cas/1.0.0`. The store verifies every blob against its hash and size
 * while writing it, so nothing here needs to trust the submitter's bytes.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { casFrameCodec } from '../../protocols/cache/index.js'
import { MAX_MANIFEST_BYTES, type FetchBlob } from '../../src/snapshot/index.js'
import { BODY_STALL_MS, type MeshLibp2p } from '../libp2p/index.js'
import { fetchBlobBySha256 } from '../mesh/blob-transfer.js'

/**
 * Deadline of one blob fetch's dial and reply header. The body has none (a big blob on a slow link may take long):
 * a body that stops arriving for `bodyStallMs` is abandoned instead (`BodyStalledError`), whatever the caller's signal.
 */
const FETCH_DEADLINE_MS = 120_000

/** The submitter no longer has a blob of its snapshot (the job ended, or its store lost it). */
export class SnapshotUnavailableError extends Error {
  static readonly code = 'ERR_SNAPSHOT_UNAVAILABLE'
  override name = 'SnapshotUnavailableError'
}

/**
 * A FetchBlob that asks `peer` for blobs by SHA-256, bounded by their size from the manifest. `names`
 * words its errors for other blobs (a worker's test reports).
 */
export function snapshotSource (libp2p: MeshLibp2p, peer: string, names = { peer: 'submitter', blob: 'snapshot blob' }, bodyStallMs = BODY_STALL_MS): FetchBlob {
  const remote = peerIdFromString(peer)
  return async (sha256, options) => {
    const response = await fetchBlobBySha256(libp2p, remote, sha256, {
      signal: options.signal ?? AbortSignal.timeout(FETCH_DEADLINE_MS),
      deadlineMs: FETCH_DEADLINE_MS,
      maxBodyBytes: options.size ?? MAX_MANIFEST_BYTES,
      bodyStallMs
    })
    const header = casFrameCodec.decode(response.header)
    if (header.type !== 'fetch-response' || header.status !== 'found') {
      response.abort()
      const status = header.type === 'fetch-response' ? header.status : header.type
      throw new SnapshotUnavailableError(`the ${names.peer} ${peer} answered ${status} for ${names.blob} ${sha256.slice(0, 12)}`)
    }
    return response.body
  }
}
