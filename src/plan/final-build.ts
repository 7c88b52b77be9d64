/**
 * The submitter's side of test shards: after the final local build (which skips the sharded
 * test tasks, see `finalBuildArgs`, and may `clean` the modules), the reports the shard units
 * returned are merged into each module's results directory (where the probe found the test task
 * writes them), as if its test task had run there.
 */
import { mergeTestReports, type MergedTestReports, type TestReportFile } from '../gradle/test-reports.js'
import { PlanError, type ShardedTestTask, type UnitPlan } from './units.js'

export interface ShardedTestResult extends MergedTestReports {
  /** The sharded test task, e.g. `:money:test`. */
  task: string
  /**
   * What looks wrong in the reports, for the summary: a shard that returned no report although the planner found
   * test classes for it (its reports were written where the worker did not look, say).
   */
  warnings: string[]
}

/**
 * Merges every sharded test task's reports into `rootDir`, from `reportsByUnit` (unit id -> the
 * reports its run returned). Refuses, before writing anything, when a shard's reports are missing.
 */
export async function mergeShardReports (
  rootDir: string, plan: Pick<UnitPlan, 'shardedTestTasks'>, reportsByUnit: ReadonlyMap<string, readonly TestReportFile[]>
): Promise<ShardedTestResult[]> {
  const missing = plan.shardedTestTasks.flatMap(sharded => sharded.shardUnits.filter(id => !reportsByUnit.has(id)).map(id => `${sharded.task} (unit ${id})`))
  if (missing.length > 0) throw new PlanError(`no test reports from shard ${missing.join(', ')}: run or rerun those units first`)
  const results: ShardedTestResult[] = []
  for (const sharded of plan.shardedTestTasks) {
    const shards = sharded.shardUnits.map(id => reportsByUnit.get(id) ?? [])
    const testTaskName = sharded.task.slice(sharded.task.lastIndexOf(':') + 1)
    const merged = await mergeTestReports(rootDir, sharded.project, shards, testTaskName, sharded.reportDirs ?? {})
    results.push({ task: sharded.task, ...merged, warnings: emptyShardWarnings(sharded, shards) })
  }
  return results
}

/** A warning for each shard that returned no report although the planner found test classes that hash to it. */
function emptyShardWarnings (sharded: Pick<ShardedTestTask, 'task' | 'classes'>, shards: ReadonlyArray<readonly TestReportFile[]>): string[] {
  return shards.flatMap((reports, index) => {
    const known = sharded.classes[index] ?? []
    if (reports.length > 0 || known.length === 0) return []
    return [`${sharded.task} [${index + 1}/${shards.length}] returned no test reports, though its classes include ${known[0] ?? ''}` +
      `${known.length > 1 ? ` and ${known.length - 1} more` : ''}: its tests may not have run, or wrote their reports where gmesh did not look`]
  })
}
