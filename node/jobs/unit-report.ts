/**
 * A unit's result as it travels back to the submitter (`result.summary`, at most 16 KiB): where it
 * ran, how long it took, what Gradle did, for a failure the failing task and the end of its log, and
 * for a test shard where its reports are (see test-report-blob.ts).
 */
import { z } from 'zod'
import { MAX_SUMMARY_BYTES, type UnitOutcome } from '../../protocols/jobs/index.js'
import { failureLines } from '../../src/gradle/output-tail.js'
import { fitLogTail } from './log-tail-fit.js'
import { testReportsRefSchema } from './test-report-blob.js'

const reportSchema = z.object({
  worker: z.string().max(128),
  unit: z.string().max(300),
  outcome: z.enum(['success', 'failed', 'timeout', 'cancelled', 'error']),
  /** Gradle's run, milliseconds. */
  durationMs: z.number().nonnegative(),
  /** Fetching and materialising the snapshot before it, milliseconds. */
  setupMs: z.number().nonnegative(),
  /** Snapshot bytes this worker had to fetch for the unit. */
  fetchedBytes: z.number().int().nonnegative(),
  tasks: z.object({ executed: z.number().int().nonnegative(), fromCache: z.number().int().nonnegative(), upToDate: z.number().int().nonnegative() }),
  failure: z.object({ task: z.string().max(300).optional(), message: z.string(), logTail: z.array(z.string()) }).optional(),
  /** A test shard's JUnit reports: a blob in the worker's store, fetched by the submitter. */
  testReports: testReportsRefSchema.optional()
})

export type UnitReport = z.infer<typeof reportSchema>

/**
 * The report as JSON of at most `maxBytes` bytes: the failure message cut to 4000 bytes, then the log tail's longest
 * lines shortened, then lines left out from its middle, those naming an error last (see log-tail-fit.ts). A worker
 * sends it signed (see signed-unit-result.ts).
 */
export function encodeUnitReport (report: UnitReport, maxBytes = MAX_SUMMARY_BYTES): string {
  const text = JSON.stringify(report)
  if (Buffer.byteLength(text) <= maxBytes || report.failure == null) return text
  const failure = { ...report.failure, message: cutToBytes(report.failure.message, 4000) }
  const encode = (logTail: string[]): string => JSON.stringify({ ...report, failure: { ...failure, logTail } })
  return encode(fitLogTail(failure.logTail, logTail => Buffer.byteLength(encode(logTail)) <= maxBytes))
}

/** At most `bytes` bytes of `text` as JSON encodes it (control characters take 6). */
function cutToBytes (text: string, bytes: number): string {
  let end = Math.min(text.length, bytes)
  while (end > 0 && Buffer.byteLength(JSON.stringify(text.slice(0, end))) - 2 > bytes) end = Math.floor(end * 0.9)
  return text.slice(0, end)
}

/**
 * A result summary from the wire as a report, whether its signature holds or not (that is `unitResultAuthor`'s
 * question: the signature comes before the JSON); undefined if it is not one (a worker of another version).
 */
export function decodeUnitReport (summary: string): UnitReport | undefined {
  return parseUnitReport(summary.startsWith('{') ? summary : summary.slice(summary.indexOf(' ') + 1))
}

/** A report's JSON as a report; undefined if it is not one. */
export function parseUnitReport (text: string): UnitReport | undefined {
  try {
    const checked = reportSchema.safeParse(JSON.parse(text))
    return checked.success ? checked.data : undefined
  } catch {
    return undefined
  }
}

/** The failure as a person reads it (failureLines): the unit, where and in which task, the lines before Gradle's message, the message. */
export function describeFailure (report: UnitReport): string {
  const failure = report.failure
  if (failure == null) return `unit ${report.unit} ${report.outcome} on ${report.worker}`
  return failureLines(`unit ${report.unit} ${report.outcome} on ${report.worker}`, failure).join('\n')
}

/**
 * What the jobs protocol hears of a unit's report. A setup error (the snapshot could not be fetched, the workspace
 * not made, Gradle not started), a run stopped by this node stopping, or Gradle killed from outside (the
 * out-of-memory killer) is `not-run`: the leader runs the unit on another worker (at most MAX_NOT_RUN times).
 * Gradle failing the build, or running past the unit's deadline, is `failed`: that fails the job.
 */
export function protocolOutcome (outcome: UnitReport['outcome']): UnitOutcome {
  switch (outcome) {
    case 'success': return 'ok'
    case 'failed': case 'timeout': return 'failed'
    case 'error': case 'cancelled': return 'not-run'
  }
}
