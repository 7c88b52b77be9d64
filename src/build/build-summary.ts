/**
 * What `gmesh build` prints when it is done: where each unit ran and how long it took, the terms
 * of the job's leadership, the merged test counts of sharded test tasks, peers lost on the way,
 * what the final local build took from the cache and, when it failed out of sight (`--no-output`), why.
 * `buildSummaryJson` is the same for scripts (`--json`).
 */
import { shortId } from '../tui/format.js'
import { INTERRUPTED_EXIT_CODE, interruptMessage, planJson } from './build-failure.js'
import type { DistributedBuildResult } from './distributed-build.js'
import type { SnapshotInfo } from '../client/api-types.js'
import { failureLines } from '../gradle/output-tail.js'

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

export interface SummaryOptions {
  /** Whether the final build's Gradle output was shown (then its failure is not repeated); default false. */
  finalOutputShown?: boolean
}

export function formatBuildSummary (result: DistributedBuildResult, options: SummaryOptions = {}): string {
  const { job, final, timings } = result
  const ok = result.exitCode === 0
  const interrupted = result.exitCode === INTERRUPTED_EXIT_CODE
  const outcome = ok ? 'succeeded' : interrupted ? 'interrupted' : 'FAILED'
  const lines: string[] = []
  const workers = new Set(job.units.flatMap(u => u.result == null ? [] : [u.result.worker]))
  lines.push(`gmesh build ${outcome} in ${seconds(timings.totalMs)} ` +
    `(plan ${seconds(timings.probeMs)}, units on the mesh ${seconds(timings.distributedMs)}, final build ${seconds(timings.finalMs)})`)
  lines.push(`  job ${job.id}: ${job.units.length} units, ran on ${workers.size} node${workers.size === 1 ? '' : 's'}; snapshot of ${result.buildRoot}: ${job.snapshot.files} files, ${job.snapshot.newBlobs} new`)
  const width = Math.max(4, ...job.units.map(u => u.name.length))
  lines.push(`  ${'unit'.padEnd(width)}  ${'node'.padEnd(10)}  ${'time'.padStart(7)}  executed/from-cache/up-to-date`)
  for (const unit of job.units) {
    const r = unit.result
    const node = r == null ? '-' : shortId(r.worker)
    const time = r == null ? '-' : seconds(r.durationMs + r.setupMs)
    const tasks = r == null ? (job.state === 'done' ? '' : 'not run') : `${r.tasks.executed}/${r.tasks.fromCache}/${r.tasks.upToDate}${r.outcome === 'success' ? '' : ` ${r.outcome}`}`
    lines.push(`  ${unit.name.padEnd(width)}  ${node.padEnd(10)}  ${time.padStart(7)}  ${tasks}`)
  }
  lines.push(`  leader: ${job.terms.map(t => `term ${t.term} ${shortId(t.leader)} at ${seconds(t.atMs)}`).join(', then ') || 'none granted'}` +
    (job.terms.length > 1 ? ' (a new term: the previous leader stopped renewing its lease)' : ''))
  for (const sharded of result.testShards ?? []) {
    const shards = result.plan.shardedTestTasks.find(s => s.task === sharded.task)?.shardUnits.length ?? 0
    const stale = sharded.removedStale.length === 0 ? '' : `; removed what an earlier local run left: ${sharded.removedStale.join(', ')}`
    lines.push(`  ${sharded.task} in ${shards} shards: ${sharded.tests} tests, ${sharded.failures} failures, ${sharded.errors} errors, ${sharded.skipped} skipped (XML reports merged${stale})`)
    for (const warning of sharded.warnings) lines.push(`    warning: ${warning}`)
  }
  if (job.lostPeers.length > 0) lines.push(`  lost mid-job: ${job.lostPeers.map(p => shortId(p)).join(', ')} (what they held was reassigned)`)
  const actionable = final?.summary.actionable
  if (interrupted) {
    lines.push('  final build: interrupted (Gradle was stopped); every unit had built on the mesh')
  } else if (actionable != null) {
    lines.push(`  final build: ${actionable.total} actionable tasks: ${actionable.fromCache} from cache, ${actionable.upToDate} up-to-date, ${actionable.executed} executed`)
  } else if (final != null) {
    lines.push(`  final build: Gradle exited with code ${final.exitCode}`)
  }
  if (job.error != null) lines.push('', job.error)
  if (final?.failure != null && options.finalOutputShown !== true) lines.push('', ...failureLines('final build FAILED', final.failure))
  return `${lines.join('\n')}\n`
}

/** The warning line for what the snapshot left out although not ignored (links leaving the project...), or undefined. */
export function skippedWarning (snapshot: SnapshotInfo): string | undefined {
  const paths = snapshot.skippedPaths ?? []
  const count = snapshot.skipped ?? paths.length
  if (count === 0) return undefined
  const more = count > paths.length ? `, and ${count - paths.length} more` : ''
  return `the snapshot left out ${count} entr${count === 1 ? 'y' : 'ies'} (symbolic links leaving the project, sockets, FIFOs): ${paths.join(', ')}${more}; ` +
    'units that read them will fail on the mesh: point links inside the project, or ignore what the build does not need in .gitignore'
}

export function buildSummaryJson (result: DistributedBuildResult): unknown {
  const { job, final, timings, plan } = result
  return {
    ok: result.exitCode === 0,
    exitCode: result.exitCode,
    ...(result.exitCode === INTERRUPTED_EXIT_CODE ? { error: interruptMessage({ stage: 'final' }, undefined), stage: 'final', interrupted: true } : {}),
    timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    plan: { ...planJson(plan), buildRoot: result.buildRoot },
    job,
    ...(result.testShards == null
      ? {}
      : {
          testShards: result.testShards.map(sharded => ({
            task: sharded.task,
            shards: plan.shardedTestTasks.find(s => s.task === sharded.task)?.shardUnits ?? [],
            tests: sharded.tests, failures: sharded.failures, errors: sharded.errors, skipped: sharded.skipped, files: sharded.files.length, dir: sharded.dir,
            removedStale: sharded.removedStale,
            ...(sharded.warnings.length === 0 ? {} : { warnings: sharded.warnings })
          }))
        }),
    final: final == null
      ? undefined
      : {
          exitCode: final.exitCode, actionable: final.summary.actionable, counts: final.summary.counts, tasks: final.summary.tasks,
          ...(final.failure == null ? {} : { failure: final.failure })
        }
  }
}
