/**
 * Distributed builds on a real node: the jobs protocol (the same sans-IO code the simulator runs)
 * on libp2p through a ProtocolHost, its `runUnit` commands run by the UnitExecutor, its submitter
 * commands recorded by the JobTracker. `submit` snapshots a project and starts a job from here.
 */
import { hash } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertGrantFits, JobsProtocol, JOBS_MAX_BYTES, topologicalOrder, type JobsCommand, type JobsConfig, type JobSpec } from '../../protocols/jobs/index.js'
import type { Signer, TrustPolicy } from '../../protocols/cache/index.js'
import type { MembershipView } from '../../protocols/membership/index.js'
import type { ContentStore } from '../../src/cas/store.js'
import type { Logger } from '../../src/config/logger.js'
import { SKIPPED_PATHS_SHOWN, type CancelOutcome, type JobInfo, type JobReport, type JobTestReports, type SubmitJobRequest, type UnitInfo } from '../../src/client/api-types.js'
import { newJobId } from '../../src/client/job-id.js'
import { createSnapshot, pinSnapshot, Workspaces } from '../../src/snapshot/index.js'
import type { EventSink } from '../events/index.js'
import type { MeshLibp2p, TopicGuard } from '../libp2p/index.js'
import { ProtocolHost } from '../mesh/protocol-host.js'
import { JobTracker } from './job-tracker.js'
import { ShardReports } from './shard-reports.js'
import { snapshotSource } from './snapshot-source.js'
import { TestReportBlobs } from './test-report-blob.js'
import { UnitExecutor } from './unit-executor.js'
import { killDaemonsOf } from '../../src/gradle/gradle-processes.js'
import { UnitProcesses } from './unit-processes.js'
import { UnitTmpDir } from './unit-tmp-dir.js'
import { JobIdTakenError, PendingSubmissions } from './pending-submissions.js'
import { encodeUnitPayload } from './unit-payload.js'
import { unitResultAuthor } from './signed-unit-result.js'
import { UnitRuns } from './unit-runs.js'
import { ed25519Verifier } from '../mesh/signing.js'

const DEFAULT_UNIT_TIMEOUT_MS = 30 * 60_000

/** The submitter closed its request, or cancelled the job, before the job started: none is started. */
export class SubmitterGoneError extends Error {
  static readonly code = 'ERR_SUBMITTER_GONE'
  override name = 'SubmitterGoneError'
  constructor () {
    super('the submitter closed its request or cancelled the job while the snapshot was taken: no job was started')
  }
}

/** A snapshot id as long as every real one (a SHA-256 in hex): payloads with it are exactly as large. */
const SIZING_SNAPSHOT_ID = '0'.repeat(64)

/** Warm unit daemons of a node that died without stopping them go away on their own after this. */
const UNIT_DAEMON_IDLE_MS = 10 * 60_000

/** The units' Gradle user home, with daemons that do not outlive a dead node by long. */
async function prepareGradleHome (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'gradle.properties'), `# written by gmesh: daemons of build units\norg.gradle.daemon.idletimeout=${UNIT_DAEMON_IDLE_MS}\n`)
}

export interface JobsHostComponents {
  libp2p: MeshLibp2p
  /** Signs this node's unit results (its identity key), so the submitter can tell they are this worker's. */
  sign: Signer
  guard: TopicGuard
  view: MembershipView
  store: ContentStore
  logger: Logger
  events?: EventSink
}

export interface JobsHostInit {
  self: string
  slots: number
  trust?: TrustPolicy
  /** Where unit workspaces, the units' Gradle user home and their scratch and temp dirs live (`<data>/builds`). */
  workDir: string
  cacheUrl: () => string
  config?: Partial<JobsConfig>
  gradleExecutable?: string
  /** Units build in warm Gradle daemons of the node's own Gradle user home (default true). */
  gradleDaemon?: boolean
  /** Called after every input (the node refreshes the load membership gossips). */
  afterInput?: () => void
  /** The protocol's clock (its leases, timeouts); default monotonicNow, for tests. */
  now?: () => number
}

export class JobsHost {
  readonly protocol: JobsProtocol
  readonly tracker: JobTracker
  private readonly host: ProtocolHost
  private readonly workspaces: Workspaces
  private readonly processes: UnitProcesses
  private readonly gradleHome: string
  private readonly scratchDir: string
  private readonly unitTmp: UnitTmpDir
  private readonly unitRuns: UnitRuns
  /** Test shards' reports: kept here as a worker, fetched here as the submitter. */
  private readonly reportBlobs: TestReportBlobs
  private readonly shardReports: ShardReports
  private readonly executor: UnitExecutor
  private readonly submissions = new PendingSubmissions()
  /** Aborted by stop(): units still running skip the wait for their daemons to let go. */
  private readonly stopping = new AbortController()
  /** Units stolen by this node's worker that events have reported. */
  private stolenSeen = 0
  /** Jobs this node leads now, with the term. */
  readonly leading = new Map<string, number>()

  constructor (private readonly components: JobsHostComponents, init: JobsHostInit) {
    const { libp2p, guard, view, store, logger, events } = components
    const verify = ed25519Verifier()
    this.protocol = new JobsProtocol({
      self: init.self, slots: init.slots, view, resultAuthor: claim => unitResultAuthor(claim, verify), sha256: data => hash('sha256', data, 'buffer'),
      ...(init.trust == null ? {} : { trust: init.trust }), ...(init.config == null ? {} : { config: init.config })
    })
    this.tracker = new JobTracker(init.self, events)
    this.host = new ProtocolHost({ libp2p, guard, logger }, this.protocol, {
      maxMessageBytes: JOBS_MAX_BYTES,
      ...(init.now == null ? {} : { now: init.now }),
      afterInput: () => {
        for (const command of this.protocol.drainCommands()) this.obey(command)
        this.noticeSteals()
        init.afterInput?.()
      }
    })
    this.workspaces = new Workspaces({ root: join(init.workDir, 'workspaces') })
    this.processes = new UnitProcesses(join(init.workDir, 'pids'), this.workspaces.root, logger)
    this.gradleHome = join(init.workDir, 'gradle-home')
    this.scratchDir = join(init.workDir, 'scratch')
    this.unitTmp = new UnitTmpDir({ logger }, { dir: join(init.workDir, 'tmp') })
    this.reportBlobs = new TestReportBlobs(store)
    this.shardReports = new ShardReports({
      tracker: this.tracker, blobs: this.reportBlobs, logger,
      source: peer => snapshotSource(libp2p, peer, { peer: 'worker', blob: 'test reports blob' })
    })
    this.executor = new UnitExecutor({ store, workspaces: this.workspaces, processes: this.processes, snapshotSource: peer => snapshotSource(libp2p, peer), testReports: this.reportBlobs, tmp: this.unitTmp, logger }, {
      self: init.self, cacheUrl: init.cacheUrl, gradleUserHome: this.gradleHome, daemon: init.gradleDaemon ?? true, scratchDir: this.scratchDir, stopping: this.stopping.signal,
      ...(init.gradleExecutable == null ? {} : { gradleExecutable: init.gradleExecutable })
    })
    this.unitRuns = new UnitRuns({ executor: this.executor, sign: components.sign, logger, ...(events == null ? {} : { events }) }, {
      finished: (jobId, unitId, outcome, summary) => { this.host.input(() => { this.protocol.unitFinished(jobId, unitId, outcome, summary, this.host.now()) }) }
    })
  }

  async start (): Promise<void> {
    await this.workspaces.start()
    await this.processes.start()
    await prepareGradleHome(this.gradleHome)
    // Scratch files of an earlier run's units (their init scripts) are left-overs now.
    await rm(this.scratchDir, { recursive: true, force: true })
    await mkdir(this.scratchDir, { recursive: true })
    const killed = [...await this.processes.killLeftovers(), ...await killDaemonsOf(this.gradleHome)]
    if (killed.length > 0) this.components.logger.warn({ pids: killed }, 'killed unit processes an earlier run of this node left running')
    // Emptied once nothing of an earlier run can write there any more; units go without it (with an error logged)
    // if the data dir's path cannot be passed to Gradle, rather than each failing on it.
    await this.unitTmp.start()
    // The data dir is locked to this node and it runs no unit yet: every workspace is a left-over.
    const stale = await this.workspaces.cleanupStale(0, (jobId, err) => { this.components.logger.warn({ err, jobId }, 'could not remove a workspace left by an earlier run') })
    if (stale.length > 0) this.components.logger.info({ removed: stale.length }, 'removed workspaces left by an earlier run')
    await this.host.start()
  }

  /** Stops taking work, kills the units running here and waits for them to clean up. */
  async stop (): Promise<void> {
    await this.host.stop()
    this.shardReports.stop()
    this.stopping.abort()
    await this.unitRuns.stop(new Error('the node is stopping'))
    this.executor.stop()
    const daemons = await killDaemonsOf(this.gradleHome)
    if (daemons.length > 0) this.components.logger.debug({ pids: daemons }, 'stopped the units\' Gradle daemons')
    await this.unitTmp.stop()
    this.reportBlobs.stop()
  }

  /**
   * Snapshots the project, starts a job of its planned units and returns the job's id: the client's (`request.jobId`),
   * or one picked here. Throws JobIdTakenError for an id in use, or used by a job the jobs protocol still remembers
   * (it would ignore a job under that id, which would then run forever here), SubmitterGoneError when the client went
   * or cancelled the job while the snapshot was taken (no job starts then).
   */
  async submit (request: SubmitJobRequest, clientGone: AbortSignal): Promise<{ jobId: string }> {
    const jobId = request.jobId ?? newJobId()
    if (this.tracker.has(jobId)) throw new JobIdTakenError(jobId)
    if (this.protocol.submitter.submitted(jobId)) throw new JobIdTakenError(jobId, true)
    // A bad DAG (a cycle, an unknown or repeated unit) or one too large to hand to a leader throws InvalidJobError
    // here, before a snapshot is taken or a job tracked: the payloads are sized with a snapshot id of the real length.
    const sized = jobSpec(jobId, request, SIZING_SNAPSHOT_ID)
    topologicalOrder(sized.units)
    assertGrantFits(sized)
    const signal = this.submissions.begin(jobId, clientGone)
    try {
      return await this.startJob(jobId, request, signal)
    } finally {
      this.submissions.end(jobId)
    }
  }

  private async startJob (jobId: string, request: SubmitJobRequest, signal: AbortSignal): Promise<{ jobId: string }> {
    const { store } = this.components
    const logger = this.components.logger
    const snapshot = await createSnapshot(request.projectDir, store, { signal, requireGradleRoot: true, warn: message => { logger.warn({ jobId, projectDir: request.projectDir }, message) } })
    const unpin = pinSnapshot(store, snapshot.id, snapshot.manifest)
    try {
      // The submitter gave up (its request closed) or cancelled the job while the snapshot was taken. Start none:
      // a client that went could not follow or cancel it.
      if (signal.aborted) throw new SubmitterGoneError()
      const spec = jobSpec(jobId, request, snapshot.id)
      const { stats } = snapshot
      this.tracker.add(jobId, {
        requested: request.requested,
        snapshot: {
          id: snapshot.id, files: stats.files, bytes: stats.bytes, newBlobs: stats.newBlobs, ms: Math.round(stats.ms), skipped: stats.skipped,
          skippedPaths: stats.skippedEntries.slice(0, SKIPPED_PATHS_SHOWN).map(entry => `${entry.path} (${entry.why})`)
        },
        units: request.units,
        onEnd: unpin
      })
      try {
        this.host.input(() => { this.protocol.submitJob(spec, this.host.now()) })
      } catch (err) {
        // The protocol refused the job: no job runs, so none is left tracked as running (with its snapshot pinned).
        this.tracker.forget(jobId)
        throw err
      }
    } catch (err) {
      unpin()
      throw err
    }
    return { jobId }
  }

  /** Cancels a job this node submitted (every node stops its units), or its submission before the job starts. */
  cancel (jobId: string, reason: string): CancelOutcome {
    if (this.submissions.cancel(jobId, reason)) return 'stopped-before-start'
    if (!this.tracker.isRunning(jobId)) return this.tracker.has(jobId) ? 'ended' : 'unknown'
    this.tracker.cancelled(jobId, reason)
    this.host.input(() => this.protocol.cancelJob(jobId, this.host.now()))
    return 'cancelled'
  }

  report (jobId: string): JobReport | undefined { return this.tracker.report(jobId) }
  list (): JobInfo[] { return this.tracker.list() }
  units (jobId: string): UnitInfo[] | undefined { return this.tracker.units(jobId) }
  /** The test shards' reports of a done job, by unit id (see ShardReports). */
  async testReports (jobId: string, signal?: AbortSignal): Promise<JobTestReports | undefined> { return await this.shardReports.reports(jobId, signal) }

  /** A peer left the mesh (membership): jobs running now note it for their summary. */
  peerDown (peer: string): void { this.tracker.peerLost(peer) }

  private obey (command: JobsCommand): void {
    switch (command.kind) {
      case 'runUnit': this.unitRuns.start(command); break
      case 'cancelUnit': this.unitRuns.cancel(command.jobId, command.unitId, new Error('the job ended')); break
      case 'granted': this.tracker.granted(command.jobId, command.term, command.leader); break
      case 'unitDone': this.tracker.unitDone(command.jobId, command.unitId, command.summary); break
      case 'jobCompleted':
        this.tracker.completed(command.jobId, command.results)
        if (this.tracker.report(command.jobId)?.state === 'assembling') void this.shardReports.collect(command.jobId)
        break
      case 'jobFailed': this.tracker.failed(command.jobId, command.unitId, command.log); break
      case 'jobAbandoned': this.tracker.abandoned(command.jobId, command.reason); break
      case 'requeued': this.components.events?.emit({ type: 'units-requeued', jobId: command.jobId, units: 1, from: command.from }); break
      case 'forgedResult': this.components.logger.warn({ peer: command.from, jobId: command.jobId, unitId: command.unitId }, 'refused a result from the job\'s leader that its worker did not sign as such, and deposed it (a leader making up results, or one on an older gmesh, which fails a unit itself after three give-backs)'); break
      case 'forgedTickets': this.components.logger.warn({ peer: command.from, tickets: command.tickets }, 'refused units that are not as their submitter submitted them (forged tickets from a leader or a steal victim)'); break
      case 'leading':
        if (command.acting) {
          this.leading.set(command.jobId, command.term)
          this.components.events?.emit({ type: 'leading', jobId: command.jobId, term: command.term })
        } else {
          this.leading.delete(command.jobId)
        }
        break
    }
  }

  private noticeSteals (): void {
    const stolen = this.protocol.worker.stolenIn - this.stolenSeen
    if (stolen <= 0) return
    this.stolenSeen += stolen
    this.components.events?.emit({ type: 'units-stolen', units: stolen })
  }
}

/** The job of a submitted plan: one unit per planned unit, its payload naming snapshot `snapshotId`. */
function jobSpec (jobId: string, request: SubmitJobRequest, snapshotId: string): JobSpec {
  const timeout = request.unitTimeoutMs ?? DEFAULT_UNIT_TIMEOUT_MS
  return {
    jobId,
    units: request.units.map(unit => ({ id: unit.id, dependsOn: unit.dependsOn, cost: Math.max(1, unit.tasks.length), payload: encodeUnitPayload(snapshotId, unit, timeout) }))
  }
}
