import type { PeerId } from '../../protocols/core/index.js'
import type { ResultClaim, UnitOutcome } from '../../protocols/jobs/index.js'
import { sha256 } from '../sha256.js'

/**
 * The simulator's stand-in for a worker's signature on its unit results (a real node signs with its Ed25519 key):
 * a summary is `<unitId>@<worker>#<tag>`, the tag a hash over the worker's secret, the job, the unit and the
 * outcome. Each virtual node knows only its own secret, by convention: forgers in the simulator can vouch for
 * results in their own name, never in another node's. The protocol sees only `resultAuthor`.
 */
export function signedResult (worker: PeerId, jobId: string, unitId: string, outcome: UnitOutcome): string {
  return `${unitId}@${worker}#${tagOf(worker, jobId, unitId, outcome)}`
}

/** The worker whose tag a result summary carries for exactly this job, unit and outcome (`JobsOptions.resultAuthor`). */
export function resultAuthor (claim: ResultClaim): PeerId | undefined {
  const match = /^(.*)@([^@#]+)#([0-9a-f]{16})$/.exec(claim.summary)
  if (match === null) return undefined
  const [, unitId, worker, tag] = match as unknown as [string, string, string, string]
  return unitId === claim.unitId && tag === tagOf(worker, claim.jobId, claim.unitId, claim.outcome) ? worker : undefined
}

function tagOf (worker: PeerId, jobId: string, unitId: string, outcome: UnitOutcome): string {
  const bytes = sha256(new TextEncoder().encode(`secret of ${worker}\n${jobId}\n${unitId}\n${outcome}`))
  return Buffer.from(bytes.subarray(0, 8)).toString('hex')
}
