/**
 * The submitter's side of test shards: after the final local build (which skips the sharded
 * test tasks, see `finalBuildArgs`, and may `clean` the modules), the reports the shard units
 * returned are merged into each module's results directory, as if its test task had run there.
 */
import { mergeTestReports, type MergedTestReports, type TestReportFile } from '../gradle/test-reports.js'
import { PlanError, type UnitPlan } from './units.js'

export interface ShardedTestResult extends MergedTestReports {
  /** The sharded test task, e.g. `:money:test`. */
  task: string
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
    results.push({ task: sharded.task, ...await mergeTestReports(rootDir, sharded.project, shards, testTaskName) })
  }
  return results
}
