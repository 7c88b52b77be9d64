/**
 * A worker's unit result as it travels to the submitter: `<signature> <report JSON>`, the signature (Ed25519, by
 * the worker's identity key, base64url) over the job, the unit, whether the result is a success, and the report.
 * The report's `outcome` (success, failed, timeout, error, cancelled) is signed with it, so the signature vouches for
 * the protocol's outcome (`protocolOutcome`: ok, failed, or not-run), and a result is checked against that, never
 * against success or not alone.
 * A leader passes results on and could make some up; the submitter records only what a worker signed (the jobs
 * protocol asks `unitResultAuthor`), so a leader can neither pass off a success nobody ran, nor fail a job with a
 * failure nobody had (a worker's report that it could not run the unit included), nor point the submitter at test
 * reports of its own. The signed bytes are those of `gmesh-unit-result/1`: workers of either version check each other.
 */
import type { PeerId } from '../../protocols/core/index.js'
import type { Signer, Verifier } from '../../protocols/cache/index.js'
import { MAX_SUMMARY_BYTES, type ResultClaim } from '../../protocols/jobs/index.js'
import { encodeUnitReport, parseUnitReport, protocolOutcome, type UnitReport } from './unit-report.js'

const SIGNING_DOMAIN = 'gmesh-unit-result/1'
/** Bytes of an Ed25519 signature, and of its base64url text with the space after it. */
const SIGNATURE_BYTES = 64
const SIGNATURE_PREFIX_CHARS = Math.ceil(SIGNATURE_BYTES * 4 / 3) + 1

/** The report as a result summary this node vouches for, for unit `unitId` of job `jobId`. */
export function signUnitResult (report: UnitReport, jobId: string, unitId: string, sign: Signer): string {
  const json = encodeUnitReport(report, MAX_SUMMARY_BYTES - SIGNATURE_PREFIX_CHARS)
  const signature = sign(signingBytes(jobId, unitId, protocolOutcome(report.outcome) === 'ok', json))
  return `${Buffer.from(signature).toString('base64url')} ${json}`
}

/**
 * The worker that signed this result for exactly its job, unit and outcome (`JobsOptions.resultAuthor`), or
 * undefined: unsigned, signed by someone else than the report's worker, changed, or of another job, unit or outcome
 * (a report of a unit given back unrun, `error` or `cancelled`, claimed as a failed run, say).
 */
export function unitResultAuthor (claim: ResultClaim, verify: Verifier): PeerId | undefined {
  const space = claim.summary.indexOf(' ')
  if (space !== SIGNATURE_PREFIX_CHARS - 1) return undefined
  const signature = Buffer.from(claim.summary.slice(0, space), 'base64url')
  const json = claim.summary.slice(space + 1)
  const report = parseUnitReport(json)
  if (signature.length !== SIGNATURE_BYTES || report === undefined) return undefined
  if (protocolOutcome(report.outcome) !== claim.outcome) return undefined
  return verify(report.worker, signingBytes(claim.jobId, claim.unitId, claim.outcome === 'ok', json), signature) ? report.worker : undefined
}

function signingBytes (jobId: string, unitId: string, ok: boolean, json: string): Uint8Array {
  return Buffer.from(JSON.stringify([SIGNING_DOMAIN, jobId, unitId, ok, json]))
}
