/**
 * Workers fetch a job's snapshot from its submitter: the manifest and the files it names, each
 * by SHA-256 over `/gmesh/cas/1.0.0`. The store verifies every blob against its hash and size
 * while writing it, so nothing here needs to trust the submitter's bytes.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { casFrameCodec } from '../../protocols/cache/index.js'
import { MAX_MANIFEST_BYTES, type FetchBlob } from '../../src/snapshot/index.js'
import { BODY_STALL_MS, type MeshLibp2p } from '../libp2p/index.js'
import { fetchBlobBySha256 } from '../mesh/blob-transfer.js'

/**
 * Deadline of one blob fetch's dial and reply header, `busy` answers waited out included. The body has none (a big
 * blob on a slow link may take long): a body that stops arriving for `bodyStallMs` is abandoned instead
 * (`BodyStalledError`), whatever the caller's signal.
 */
const FETCH_DEADLINE_MS = 120_000

/** The submitter no longer has a blob of its snapshot (the job ended, or its store lost it), or stayed busy past the deadline. */
export class SnapshotUnavailableError extends Error {
  static readonly code = 'ERR_SNAPSHOT_UNAVAILABLE'
  override name = 'SnapshotUnavailableError'
}

/**
 * How a fetch waits out `busy` answers (the peer serves its most uploads at once: its other askers finish soon):
 * the n-th wait is between half and all of min(maxDelayMs, firstDelayMs * 2^n), picked by `random`.
 */
export interface BusyBackoff {
  firstDelayMs: number
  maxDelayMs: number
  /** Least time left of the deadline for another ask after a wait: less, and the fetch fails as busy instead. */
  minAttemptMs: number
  /** In [0, 1). */
  random: () => number
  /** Milliseconds, monotonic. */
  now: () => number
  /** Waits `ms`; rejects with the signal's reason once it aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

export const BUSY_BACKOFF: BusyBackoff = {
  firstDelayMs: 50,
  maxDelayMs: 2000,
  minAttemptMs: 1000,
  random: Math.random,
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal }).catch((err: unknown) => {
      signal.throwIfAborted()
      throw err
    })
  }
}

export interface SnapshotSourceOptions {
  /** Longest wait for the next chunk of a body (default BODY_STALL_MS). */
  bodyStallMs?: number
  /** Dial to reply header of one blob, busy answers included (default 120 s). */
  deadlineMs?: number
  busy?: Partial<BusyBackoff>
}

/**
 * A FetchBlob that asks `peer` for blobs by SHA-256, bounded by their size from the manifest. `names`
 * words its errors for other blobs (a worker's test reports). A `busy` answer is asked again after a
 * jittered backoff until the fetch's deadline or its signal ends it; a wait that would leave the next ask less than
 * `minAttemptMs` of the deadline (too little to dial and be answered) fails the fetch as busy instead.
 */
export function snapshotSource (libp2p: MeshLibp2p, peer: string, names = { peer: 'submitter', blob: 'snapshot blob' }, init: SnapshotSourceOptions = {}): FetchBlob {
  const remote = peerIdFromString(peer)
  const deadlineMs = init.deadlineMs ?? FETCH_DEADLINE_MS
  const backoff = { ...BUSY_BACKOFF, ...init.busy }
  return async (sha256, options) => {
    const signal = options.signal ?? AbortSignal.timeout(deadlineMs)
    const started = backoff.now()
    for (let busy = 0; ; busy++) {
      const response = await fetchBlobBySha256(libp2p, remote, sha256, {
        signal,
        deadlineMs: Math.max(1, Math.ceil(started + deadlineMs - backoff.now())),
        maxBodyBytes: options.size ?? MAX_MANIFEST_BYTES,
        bodyStallMs: init.bodyStallMs ?? BODY_STALL_MS
      })
      const header = casFrameCodec.decode(response.header)
      if (header.type === 'fetch-response' && header.status === 'found') return response.body
      response.abort()
      const status = header.type === 'fetch-response' ? header.status : header.type
      const what = `the ${names.peer} ${peer} answered ${status} for ${names.blob} ${sha256.slice(0, 12)}`
      if (status !== 'busy') throw new SnapshotUnavailableError(what)
      const bound = Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** busy)
      const wait = bound / 2 + backoff.random() * bound / 2
      const waited = backoff.now() - started
      if (waited + wait + backoff.minAttemptMs > deadlineMs) throw new SnapshotUnavailableError(`${what} ${busy + 1} times in ${Math.round(waited)} ms`)
      await backoff.sleep(wait, signal)
    }
  }
}
