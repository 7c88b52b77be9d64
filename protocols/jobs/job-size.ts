import { MessageTooLargeError } from '../core/index.js'
import { InvalidJobError } from './dag.js'
import type { JobSpec } from './dag.js'
import { JOBS_MAX_BYTES, MAX_COUNT, MAX_ID_BYTES, jobsCodec } from './messages.js'

/** Bidders passed on to a leader (in grants and lease acknowledgements): the best ones, at most this many. */
export const MAX_GRANT_WORKERS = 256
/** The most one worker entry takes on the wire: its peer id and two varints. */
const WORKER_ENTRY_BYTES = MAX_ID_BYTES + 2 + 5 + 5

/** A job whose grant (the whole DAG, sent to each leader) would not fit in one jobs message. */
export class JobTooLargeError extends InvalidJobError {
  override name = 'JobTooLargeError'
  constructor (readonly jobId: string, readonly bytes: number, readonly limit: number) {
    super(`job ${jobId} is too large to hand to a leader: its grant would take ${bytes} bytes, over the ${limit}-byte limit of one jobs message; use fewer units or smaller unit payloads`)
  }
}

/**
 * Throws `JobTooLargeError` unless the largest grant the job can ever need fits in one message: the highest
 * term, every unit done, and `MAX_GRANT_WORKERS` workers of the longest peer id. The units' commitment costs a grant
 * nothing (the leader hashes the units itself), and the largest ticket then fits too: its unit is part of the grant,
 * and the rest of a ticket (three peer ids, the job id, a proof of at most `MAX_PROOF_HASHES` hashes: under 1.6 KB)
 * is far less than the room kept for the workers.
 */
export function assertGrantFits (spec: JobSpec): void {
  const reserve = 5 + MAX_GRANT_WORKERS * WORKER_ENTRY_BYTES
  const limit = JOBS_MAX_BYTES - reserve
  let bytes: number
  try {
    bytes = jobsCodec.encode({ type: 'grant', jobId: spec.jobId, term: MAX_COUNT, units: spec.units, done: spec.units.map(u => u.id), workers: [] }).length
  } catch (err) {
    if (err instanceof MessageTooLargeError) throw new JobTooLargeError(spec.jobId, err.size, limit)
    throw err
  }
  if (bytes > limit) throw new JobTooLargeError(spec.jobId, bytes, limit)
}
