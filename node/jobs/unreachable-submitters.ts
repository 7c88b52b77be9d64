/**
 * A job's units on one worker each fetch its snapshot from its submitter: when that submitter cannot be reached,
 * each unit, and each blob a unit waited for another unit to fetch, would dial it again (a dial to a peer that is
 * gone may take the whole fetch deadline). The first fetch whose dial reached no node says so for the others; a
 * connection that broke, or a slow answer, says nothing of the next fetch.
 */
import type { FetchBlob } from '../../src/snapshot/index.js'
import { reachedNoNode } from '../libp2p/connection-failure.js'

/** How long a fetch that did not reach a job's submitter spares that job's other fetches from dialling it. */
export const UNREACHABLE_FOR_MS = 10_000

/** A fetch not made: another fetch of the same job did not reach its submitter a moment ago. */
export class SubmitterUnreachableError extends Error {
  static readonly code = 'ERR_SUBMITTER_UNREACHABLE'
  override name = 'SubmitterUnreachableError'
}

interface Verdict { err: Error, at: number }

/**
 * Fails a job's snapshot fetches at once for `forMs` after one of them could not reach the job's submitter
 * (reachedNoNode: every address of the dial refused, unroutable or timed out on connect), instead of each
 * dialling it again. Kept per job and submitter: another job's fetches from the same peer still ask it themselves.
 */
export class UnreachableSubmitters {
  private readonly verdicts = new Map<string, Verdict>()

  constructor (private readonly forMs = UNREACHABLE_FOR_MS, private readonly now: () => number = () => performance.now()) {}

  /** `fetchBlob` (of `submitter`, for job `jobId`), failing at once while a fetch of that job found the submitter unreachable. */
  guard (jobId: string, submitter: string, fetchBlob: FetchBlob): FetchBlob {
    const key = `${jobId} ${submitter}`
    return async (sha256, options) => {
      const verdict = this.verdicts.get(key)
      if (verdict !== undefined && this.now() - verdict.at < this.forMs) {
        const ago = Math.round(this.now() - verdict.at)
        throw new SubmitterUnreachableError(`not asked: the submitter ${submitter} could not be reached ${ago} ms ago: ${verdict.err.message}`, { cause: verdict.err })
      }
      try {
        return await fetchBlob(sha256, options)
      } catch (err) {
        // the unit's own cancel (or timeout) says nothing of the submitter
        if (options.signal?.aborted !== true && reachedNoNode(err)) this.remember(key, err as Error)
        throw err
      }
    }
  }

  /** Verdicts kept now, expired ones included until the next is remembered. */
  get size (): number { return this.verdicts.size }

  private remember (key: string, err: Error): void {
    const at = this.now()
    for (const [other, verdict] of this.verdicts) if (at - verdict.at >= this.forMs) this.verdicts.delete(other)
    this.verdicts.set(key, { err, at })
  }
}
