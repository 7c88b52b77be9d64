/**
 * Which test tasks of a plan are split into shards, and how: the shard count each asks for (`--shard-tests`,
 * `--shard m=N`), and the split of its known classes (`test-shards.ts`). A requested split that ends with fewer than
 * two shards is a warning, not an error: the test task then runs in one unit.
 */
import type { ProbedTask } from '../gradle/task-graph.js'
import { PlanError, projectOf, projectPath, taskName, taskPathIn } from './task-paths.js'
import type { TestClass } from './test-classes.js'
import { splitIntoShards, type TestShards } from './test-shards.js'
import type { PlanOptions } from './units.js'

/** `--shard MODULE=N` names a module whose test task is not planned (no such module, or no test task): a usage error. */
export class ShardModuleError extends PlanError {
  override name = 'ShardModuleError'
}

/** The sharded test tasks with their splits, and what to warn of. */
export function planShards (tasks: readonly ProbedTask[], options: PlanOptions): { shards: Map<string, TestShards>, warnings: string[] } {
  const shards = new Map<string, TestShards>()
  const warnings: string[] = []
  for (const [testTask, count] of shardCounts(tasks, options)) {
    const split = splitIntoShards(classesOf(projectOf(testTask), options), count)
    if (split.groups.length >= 2) shards.set(testTask, split)
    else if (count >= 2 && isExplicitShardRequest(testTask, options)) warnings.push(unsplitWarning(testTask, split.groups.flat().length))
  }
  return { shards, warnings }
}

function isExplicitShardRequest (testTask: string, options: PlanOptions): boolean {
  return (options.shardTests ?? []).some(request => projectPath(request.module) === projectOf(testTask))
}

function unsplitWarning (testTask: string, classes: number): string {
  return `${testTask} runs in one unit, not in shards: gmesh found ${classes === 0 ? 'no test class' : 'one test class'} in the module's sources ` +
    '(it reads src/test/java of the project\'s default directory; a projectDir set in settings.gradle is not followed)'
}

/** Shard count per test task path, for the test tasks that exist in the plan. */
function shardCounts (tasks: readonly ProbedTask[], options: PlanOptions): Map<string, number> {
  const testName = options.testTaskName ?? 'test'
  const testTasks = new Set(tasks.filter(task => taskName(task.path) === testName).map(task => task.path))
  const counts = new Map<string, number>()
  const check = (shards: number, what: string): number => {
    if (!Number.isInteger(shards) || shards < 1) throw new PlanError(`${what}: shards must be a positive integer, got ${shards}`)
    return shards
  }
  if (options.testShardsPerModule != null) {
    const shards = check(options.testShardsPerModule, 'testShardsPerModule')
    for (const task of testTasks) counts.set(task, shards)
  }
  for (const request of options.shardTests ?? []) {
    const task = taskPathIn(projectPath(request.module), testName)
    if (!testTasks.has(task)) throw new ShardModuleError(`cannot shard the tests of '${request.module}': ${task} is not among the planned tasks`)
    counts.set(task, check(request.shards, `shardTests for ${request.module}`))
  }
  return counts
}

function classesOf (project: string, options: PlanOptions): readonly TestClass[] {
  const classes = options.testClasses?.get(project)
  if (classes == null) throw new PlanError(`test classes of ${project} are needed to shard its tests: pass testClasses (see listTestClasses)`)
  return classes
}
