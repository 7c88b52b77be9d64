/**
 * The submitter's side of test shard reports: when a job with test shards completes, the reports
 * blob of every shard unit is fetched from the worker that ran it into this node's store
 * (verified by hash and size) and checked; only then is the job done, so `gmesh build` never
 * waits on reports that will not come. A blob that cannot be had fails the job with the unit and
 * the worker named. The control API then serves the reports from the store.
 */
import type { JobTestReports } from '../../src/client/api-types.js'
import type { Logger } from '../../src/config/logger.js'
import type { FetchBlob } from '../../src/snapshot/index.js'
import { forEachLimited } from '../../src/snapshot/pool.js'
import { isConnectionFailure } from '../libp2p/connection-failure.js'
import type { JobTracker, ShardReportRef } from './job-tracker.js'
import type { TestReportBlobs } from './test-report-blob.js'

/** Most bytes of reports blobs one answer of `test-reports` carries. */
export const MAX_JOB_TEST_REPORTS_BYTES = 64 * 1024 * 1024

/**
 * Reports blobs fetched at once from one worker: a few, well under the uploads its blob server serves at once (16,
 * shared with all its askers; more are answered `busy`), however many shards it ran.
 */
export const FETCHES_PER_WORKER = 4

/** The job's reports cannot be served: it is not done, or they are too big or gone. */
export class TestReportsUnavailableError extends Error {
  static readonly code = 'ERR_TEST_REPORTS_UNAVAILABLE'
  override name = 'TestReportsUnavailableError'
}

export interface ShardReportsComponents {
  tracker: JobTracker
  blobs: TestReportBlobs
  /** Fetches blobs by SHA-256 from `peer` (the worker of a shard). */
  source: (peer: string) => FetchBlob
  logger: Logger
}

export class ShardReports {
  private readonly stopping = new AbortController()

  constructor (private readonly components: ShardReportsComponents) {}

  /** Fetches the reports of an assembling job, then marks it done (or failed). Never throws. */
  async collect (jobId: string): Promise<void> {
    const { tracker, logger } = this.components
    const refs = tracker.testReportRefs(jobId)
    const byWorker = new Map<string, number[]>()
    refs.forEach((ref, index) => {
      if (!byWorker.has(ref.worker)) byWorker.set(ref.worker, [])
      byWorker.get(ref.worker)!.push(index)
    })
    const outcomes: Array<string | undefined> = []
    await Promise.all([...byWorker.values()].map(async indexes => {
      const failures = await this.fetchFromWorker(indexes.map(index => refs[index]!))
      failures.forEach((failure, i) => { outcomes[indexes[i]!] = failure })
    }))
    const failures = outcomes.filter(f => f != null)
    if (failures.length === 0) {
      logger.debug({ jobId, shards: refs.length }, 'fetched the test shards\' reports')
      tracker.assembled(jobId)
    } else {
      tracker.assemblyFailed(jobId, failures.join('\n'))
    }
  }

  /** Every test shard's reports of a done job, by unit id; undefined for a job this node did not submit. */
  async reports (jobId: string, signal?: AbortSignal): Promise<JobTestReports | undefined> {
    const { tracker, blobs } = this.components
    const report = tracker.report(jobId)
    if (report == null) return undefined
    if (report.state !== 'done') throw new TestReportsUnavailableError(`job ${jobId} is ${report.state}: its test reports are served once it is done`)
    const refs = tracker.testReportRefs(jobId)
    const bytes = refs.reduce((sum, r) => sum + r.ref.size, 0)
    if (bytes > MAX_JOB_TEST_REPORTS_BYTES) throw new TestReportsUnavailableError(`job ${jobId} has ${bytes} bytes of test reports, over the limit of ${MAX_JOB_TEST_REPORTS_BYTES}`)
    const units: JobTestReports['units'] = {}
    for (const ref of refs) {
      try {
        units[ref.unitId] = await blobs.read(ref.ref, signal)
      } catch (err) {
        throw new TestReportsUnavailableError(`the test reports of ${ref.name}: ${(err as Error).message}`)
      }
    }
    return { units }
  }

  /** Aborts fetches under way (the node stops). */
  stop (): void { this.stopping.abort(new Error('the node is stopping')) }

  /**
   * Fetches the reports of `shards`, all run by one worker, FETCHES_PER_WORKER at once; resolves to what went wrong
   * for each, or undefined. A worker not reached (gone, dial timed out) is not asked again: its shards not yet asked
   * fail with that error at once (unless this node has their blob), not in rounds of dials that each time out; they
   * are logged once, with their count, not each with the same error.
   */
  private async fetchFromWorker (shards: ShardReportRef[]): Promise<Array<string | undefined>> {
    const { logger } = this.components
    const failures: Array<string | undefined> = []
    let unreachable: Error | undefined
    let notAsked = 0
    const notReached: FetchBlob = async () => { throw unreachable! }
    await forEachLimited(shards, FETCHES_PER_WORKER, async (shard, index) => {
      const asked = unreachable === undefined
      const err = await this.fetchOne(shard, asked ? this.components.source(shard.worker) : notReached)
      if (err === undefined) return
      if (asked) logger.warn({ err, unit: shard.name, worker: shard.worker }, 'could not fetch a test shard\'s reports')
      else notAsked++
      if (unreachable === undefined && isConnectionFailure(err)) unreachable = err
      failures[index] = `the test reports of unit ${shard.name} could not be fetched from ${shard.worker}: ${err.message}`
    })
    if (notAsked > 0) {
      logger.warn({ err: unreachable, worker: shards[0]!.worker, shards: notAsked }, 'did not ask an unreachable worker for its other test shards\' reports')
    }
    return failures
  }

  /** Fetches (from `source` unless held) and checks one shard's blob; resolves to what went wrong, or undefined. */
  private async fetchOne (shard: ShardReportRef, source: FetchBlob): Promise<Error | undefined> {
    const { blobs } = this.components
    const signal = this.stopping.signal
    try {
      await blobs.fetch(shard.ref, source, signal)
      await blobs.read(shard.ref, signal)
      return undefined
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }
}
