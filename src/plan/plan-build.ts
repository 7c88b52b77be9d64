/**
 * Planning from a project on disk: finds the test classes of the modules to shard, then cuts the
 * task graph into units (see {@link planUnits}).
 */
import type { TaskGraph } from '../gradle/task-graph.js'
import { listTestClasses, type TestClass } from './test-classes.js'
import { planUnits, projectOf, type PlanOptions, type UnitPlan } from './units.js'
import { projectPath } from './task-paths.js'

export interface PlanBuildOptions extends Omit<PlanOptions, 'testClasses'> {
  /** The build's root directory (where settings.gradle is). */
  rootDir: string
  /** File names (without `.java`) taken as test classes; default `DEFAULT_TEST_CLASS_FILTER`. */
  testClassFilter?: RegExp
}

/** Plans a build of the project at `options.rootDir`, reading test classes where tests are sharded. */
export async function planBuild (graph: TaskGraph, options: PlanBuildOptions): Promise<UnitPlan> {
  const testName = options.testTaskName ?? 'test'
  const projects = new Set<string>()
  if (options.testShardsPerModule != null) {
    for (const task of graph.tasks) if (task.path.endsWith(`:${testName}`)) projects.add(projectOf(task.path))
  }
  for (const request of options.shardTests ?? []) projects.add(projectPath(request.module))
  const testClasses = new Map<string, TestClass[]>()
  for (const project of [...projects].sort()) {
    testClasses.set(project, await listTestClasses(options.rootDir, project, options.testClassFilter))
  }
  const { rootDir: _rootDir, testClassFilter: _filter, ...planOptions } = options
  return planUnits(graph, { ...planOptions, testClasses })
}
