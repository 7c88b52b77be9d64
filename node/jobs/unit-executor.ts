/**
 * The worker's side of a unit: fetch the snapshot from the submitter (only the blobs this node
 * lacks), materialise it into a fresh workspace, run the unit's Gradle tasks there with the node's
 * own cache (push on, so the results travel back through the mesh), and report; a test shard's
 * JUnit reports are kept in the store for the submitter to fetch. Every run gets its
 * own workspace, removed afterwards; cancelling kills Gradle's whole process tree.
 */
import type { Logger } from '../../src/config/logger.js'
import { countOutcomes } from '../../src/gradle/build-output.js'
import { runUnit, type UnitRunResult } from '../../src/gradle/unit-runner.js'
import { fetchMissing, materialise, pinSnapshot, SharedManifests, type BlobFetches, type FetchBlob, type SnapshotStore, type Workspaces } from '../../src/snapshot/index.js'
import { decodeUnitPayload, type UnitPayload } from './unit-payload.js'
import { TestReportsBlobError, type TestReportBlobs, type TestReportsRef } from './test-report-blob.js'
import type { UnitReport } from './unit-report.js'
import type { UnitProcesses } from './unit-processes.js'
import type { UnitTmpDir } from './unit-tmp-dir.js'

export interface UnitExecutorComponents {
  store: SnapshotStore
  workspaces: Workspaces
  processes: UnitProcesses
  /** Fetches snapshot blobs from `peer` (the job's submitter). */
  snapshotSource: (peer: string) => FetchBlob
  /** Where a test shard's reports are kept for the submitter to fetch. */
  testReports: Pick<TestReportBlobs, 'keep'>
  /** The units' java.io.tmpdir (default the JVM's): told when a unit builds, so it is swept only of what none uses. */
  tmp?: Pick<UnitTmpDir, 'javaTmpDir' | 'enter'>
  logger: Logger
}

export interface UnitExecutorInit {
  self: string
  /** The node's Gradle cache endpoint (known once its HTTP server listens). */
  cacheUrl: () => string
  /** Gradle user home shared by the units this node runs. */
  gradleUserHome: string
  /** Build in warm Gradle daemons of that home rather than single-use JVMs. */
  daemon?: boolean
  /** Scratch files of unit runs (init scripts): inside the node's data dir, so nothing outlives it in /tmp. */
  scratchDir?: string
  /** Gradle executable instead of ./gradlew or gradle on PATH. */
  gradleExecutable?: string
  /** Aborted when the node stops (see `RunUnitOptions.stopping`). */
  stopping?: AbortSignal
}

export interface UnitRequest { jobId: string, unitId: string, payload: string, submitter: string }

export class UnitExecutor {
  private runs = 0
  /** Blob fetches of units starting together: each blob of a snapshot is fetched once. */
  private readonly blobFetches: BlobFetches = new Map()
  /** The manifests of the units' snapshots: each fetched and decoded once, shared by the units running on it. */
  private readonly manifests = new SharedManifests()

  constructor (private readonly components: UnitExecutorComponents, private readonly init: UnitExecutorInit) {}

  /** Lets go of the manifests kept for the next unit (the node stops, its units ended). */
  stop (): void { this.manifests.clear() }

  /** Runs one unit; never throws: every failure (bad payload, snapshot gone, Gradle failing) is a report. */
  async run (request: UnitRequest, signal: AbortSignal): Promise<UnitReport> {
    const started = performance.now()
    let payload: UnitPayload | undefined
    try {
      payload = decodeUnitPayload(request.payload)
      return await this.build(request, payload, signal, started)
    } catch (err) {
      const message = signal.aborted ? 'the unit was cancelled before Gradle started' : `the unit could not run: ${(err as Error).message}`
      this.components.logger.warn({ err, jobId: request.jobId, unitId: request.unitId }, 'unit could not run')
      return {
        worker: this.init.self, unit: payload?.unit.name ?? request.unitId, outcome: signal.aborted ? 'cancelled' : 'error',
        durationMs: 0, setupMs: performance.now() - started, fetchedBytes: 0, tasks: { executed: 0, fromCache: 0, upToDate: 0 },
        failure: { message, logTail: [] }
      }
    }
  }

  private async build (request: UnitRequest, payload: UnitPayload, signal: AbortSignal, started: number): Promise<UnitReport> {
    const { store, workspaces } = this.components
    const source = this.components.snapshotSource(request.submitter)
    const { manifest, release } = await this.manifests.acquire(payload.snapshot, store, source, { signal, from: request.submitter })
    const unpin = pinSnapshot(store, payload.snapshot, manifest)
    const workspace = `${request.jobId}.${request.unitId}.${++this.runs}`
    let pid: number | undefined
    let leaveTmp: (() => Promise<void>) | undefined
    try {
      const transfer = await fetchMissing(manifest, store, source, { signal, shared: this.blobFetches })
      const dir = await workspaces.create(workspace)
      await materialise(manifest, store, dir, { signal })
      const setupMs = performance.now() - started
      const tmpDir = this.components.tmp?.javaTmpDir
      leaveTmp = this.components.tmp?.enter()
      const result = await runUnit({
        unit: payload.unit,
        workspaceDir: dir,
        cacheUrl: this.init.cacheUrl(),
        gradleUserHome: this.init.gradleUserHome,
        daemon: this.init.daemon === true,
        ...(this.init.stopping == null ? {} : { stopping: this.init.stopping }),
        ...(this.init.scratchDir == null ? {} : { scratchDir: this.init.scratchDir }),
        ...(tmpDir == null ? {} : { tmpDir }),
        timeoutMs: payload.timeoutMs,
        signal,
        onSpawn: spawned => {
          pid = spawned
          this.components.processes.track(spawned)
        },
        ...(this.init.gradleExecutable == null ? {} : { gradleExecutable: this.init.gradleExecutable })
      })
      const kept = await this.keepReports(result, signal)
      return { ...this.report(payload, kept.result, setupMs, transfer.bytes), ...(kept.ref == null ? {} : { testReports: kept.ref }) }
    } finally {
      if (pid != null) await this.components.processes.untrack(pid)
      // not awaited: the sweep must not hold back the unit's report (UnitTmpDir.stop waits for it)
      void leaveTmp?.()
      unpin()
      release()
      await workspaces.remove(workspace).catch((err: unknown) => { this.components.logger.warn({ err, workspace }, 'could not remove a unit workspace') })
    }
  }

  /**
   * Stores a test shard's reports. Reports too big to read or keep (testReportsTooLarge, TestReportsBlobError) would be
   * as big on any worker: the unit ends here instead of running elsewhere, with Gradle's outcome and a note (a success
   * becomes a failure saying why). Any other error of the store throws: the unit is given back unrun.
   */
  private async keepReports (result: UnitRunResult, signal: AbortSignal): Promise<{ result: UnitRunResult, ref?: TestReportsRef }> {
    if (result.testReportsTooLarge != null) return { result: notKept(result, result.testReportsTooLarge) }
    if (result.testReports == null) return { result }
    try {
      return { result, ref: await this.components.testReports.keep(result.testReports, signal) }
    } catch (err) {
      if (!(err instanceof TestReportsBlobError)) throw err
      return { result: notKept(result, err.message) }
    }
  }

  private report (payload: UnitPayload, result: UnitRunResult, setupMs: number, fetchedBytes: number): UnitReport {
    // Gradle's own count of tasks with actions; the task lines also list lifecycle tasks (classes, jar, build...)
    const counts = result.actionable ?? countOutcomes(result.tasks)
    return {
      worker: this.init.self,
      unit: payload.unit.name,
      // Gradle killed from outside (out of memory) failed nothing of the build: given back unrun, as `error` (the
      // outcome an older node reads as that too), to run on another worker (the leader caps the tries)
      outcome: result.outcome === 'killed' ? 'error' : result.outcome,
      durationMs: Math.round(result.durationMs),
      setupMs: Math.round(setupMs),
      fetchedBytes,
      tasks: { executed: counts.executed, fromCache: counts.fromCache, upToDate: counts.upToDate },
      ...(result.failure == null ? {} : { failure: result.failure })
    }
  }
}

/** `result` with a note that its test reports were not kept, for `why`: a success becomes a failure. */
function notKept (result: UnitRunResult, why: string): UnitRunResult {
  const note = `the test reports were not kept: ${why}`
  if (result.outcome === 'success') return { ...result, outcome: 'failed', failure: { message: note, logTail: [] } }
  const failure = result.failure ?? { message: '', logTail: [] }
  return { ...result, failure: { ...failure, message: [failure.message, note].filter(line => line !== '').join('\n') } }
}
