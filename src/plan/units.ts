/**
 * The plan of a distributed build: the task graph cut into units of work, a DAG of units.
 *
 * A unit is the set of tasks of one project that the requested tasks need; a worker runs it by
 * invoking the unit's terminal tasks (those no other task of the unit depends on), and Gradle runs
 * the rest of the unit, plus whatever of other projects they need (from the mesh cache, once
 * the units they depend on are done). Unit A depends on unit B when a task of A depends on a
 * task of B. Tasks that declare no outputs and that only such tasks need (`build`, `publish`) are in no unit: a
 * worker would leave nothing for the cache, or publish from its workspace; the final build runs them.
 *
 * A module's test task may be sharded by test class: each shard is a unit running the test task on
 * the classes that hash to it (see `test-shards.ts`), after the module's own unit and the unit of its test source set. A shard's test
 * task has its own cache key, so the final build must skip the sharded test task (`-x :mod:test`)
 * and merge the shards' reports; the module's tasks that depend on its test task (`check`,
 * `build`) are left to the final build.
 */
import { createHash } from 'node:crypto'
import type { ProbedTask, TaskGraph } from '../gradle/task-graph.js'
import type { ReportDirs } from '../gradle/test-reports.js'
import { topologicalOrder } from './dag.js'
import { isClassesTask } from './gradle-args.js'
import { selectRequested } from './requested-tasks.js'
import { planShards } from './shard-plan.js'
import { PlanError, projectOf, taskPathIn } from './task-paths.js'
import { dependentsWithin, NothingToDistributeError, outputlessTopTasks, testOnlyTasks } from './task-sets.js'
import type { TestClass } from './test-classes.js'
import type { TestShards } from './test-shards.js'

export { UnresolvedTaskError } from './requested-tasks.js'
export { PlanError, projectOf } from './task-paths.js'
export { NothingToDistributeError } from './task-sets.js'
export { ShardModuleError } from './shard-plan.js'
export { finalBuildArgs, unitGradleArgs } from './gradle-args.js'

export interface Unit {
  /** Stable id derived from what the unit runs (same tasks and filters, same id). */
  id: string
  /** Readable name: `:money`, or `:money:test [2/3]` for a test shard. */
  name: string
  /** Project path, e.g. `:money` (`:` for the root project). */
  project: string
  /** The unit's tasks, in Gradle's execution order. */
  tasks: string[]
  /** Task paths a worker invokes (the unit's terminal tasks). */
  run: string[]
  /** Task paths a worker excludes with `-x`. */
  exclude: string[]
  /** Test class filters, passed as `--tests` after the test task (none in planned units: shards select by `shard`). */
  testFilters: string[]
  /** A test shard runs the classes of `testTask` whose hash with `salt` gives `index` (1-based) of `count` (see `shardOfClass`). */
  shard?: { testTask: string, index: number, count: number, salt: number }
  /** Ids of the units that must be done first, sorted. */
  dependsOn: string[]
}

export interface ShardedTestTask {
  /** The test task split into shards, e.g. `:money:test`. */
  task: string
  project: string
  /** Ids of its shard units, in shard order. */
  shardUnits: string[]
  /** The test classes the planner found, per shard; any other class runs in the shard its hash gives. */
  classes: string[][]
  /** Where the test task writes its reports here, as the probe found (absent or empty: the defaults), for the merge. */
  reportDirs?: ReportDirs
}

export interface UnitPlan {
  gradleVersion: string
  requested: string[]
  /** Every unit, dependencies first. */
  units: Unit[]
  shardedTestTasks: ShardedTestTask[]
  /**
   * Tasks that no unit runs, left to the final build (in graph order): those that depend on a sharded test task, and
   * those that declare no outputs and that only such tasks need (`build`, `check`, `publish`: see `outputlessTopTasks`).
   */
  finalBuildOnly: string[]
  /** What the final local build skips (`-x`): the sharded test tasks, whose reports are merged instead. */
  finalBuildExcludes: string[]
  /**
   * What the final local build names besides the requested tasks: the source-set tasks the sharded test tasks
   * depend on (`:mod:classes`, `:mod:testClasses`). `-x` drops a task's dependencies that nothing else needs, so
   * without them the final build would not compile the tests at all; named, they come FROM-CACHE as the shards
   * built them. Other dependencies of a test task (a fixture that starts a database) stay dropped with it.
   */
  finalBuildKeeps: string[]
  /** What the plan could not do as asked, for the user: a module asked to be sharded that runs in one unit. */
  warnings: string[]
}

export interface ShardRequest {
  /** Project path (`:money`) or name (`money`). */
  module: string
  shards: number
}

export interface PlanOptions {
  /** The requested tasks, as given to Gradle: names (`build`) or paths (`:app:test`). */
  requested: string[]
  /** Modules whose test task is split into shards by class. */
  shardTests?: ShardRequest[]
  /** Shards for every module's test task (a `shardTests` entry overrides it for its module). */
  testShardsPerModule?: number
  /** Test classes per project path, needed for every sharded module (see `listTestClasses`). */
  testClasses?: ReadonlyMap<string, readonly TestClass[]>
  /** Name of the test task to shard (default `test`). */
  testTaskName?: string
  /**
   * Give each module's (unsharded) test task a unit of its own, with the tasks that depend on it
   * in that module (`check`, `build`): other modules' units then wait only for the module's
   * classes and jar, not for its tests, so tests of a chain of modules run side by side. The test
   * task runs without filters, so its result keeps its cache key. Default false.
   */
  separateTests?: boolean
}

/** Cuts the task graph into a DAG of units. Throws {@link PlanError}, `UnresolvedTaskError` for a task it cannot tell, or `UnitCycleError` on a cycle. */
export function planUnits (graph: TaskGraph, options: PlanOptions): UnitPlan {
  const tasks = neededTasks(graph, options.requested)
  const { shards, warnings } = planShards(tasks, options)
  const outputless = outputlessTopTasks(tasks)
  if (outputless.size === tasks.length) throw new NothingToDistributeError(options.requested)
  const builder = new UnitBuilder(tasks, new Set(shards.keys()), outputless)
  for (const [project, projectTasks] of groupByProject(tasks.filter(task => !outputless.has(task.path)))) {
    const testTask = taskPathIn(project, options.testTaskName ?? 'test')
    const split = shards.get(testTask)
    if (split != null) builder.addShardedProject(project, projectTasks, testTask, split)
    else if (options.separateTests === true && projectTasks.some(task => task.path === testTask)) builder.addSeparateTestProject(project, projectTasks, testTask)
    else builder.addProjectUnit(project, projectTasks)
  }
  return { ...builder.finish(graph.gradleVersion, options.requested), warnings }
}

/** The tasks of the graph the requested tasks need, in graph order. */
function neededTasks (graph: TaskGraph, requested: readonly string[]): ProbedTask[] {
  const byPath = new Map(graph.tasks.map(task => [task.path, task]))
  if (requested.length === 0) throw new PlanError('no tasks requested: name at least one task, e.g. build')
  const needed = new Set<string>()
  const visit = (taskPath: string, from: string): void => {
    const task = byPath.get(taskPath)
    if (task == null) throw new PlanError(`${from} depends on ${taskPath}, which is not in the task graph`)
    if (needed.has(taskPath)) return
    needed.add(taskPath)
    for (const dep of task.dependencies) visit(dep, taskPath)
  }
  for (const [request, paths] of selectRequested(graph, requested)) {
    for (const taskPath of paths) visit(taskPath, `requested task '${request}'`)
  }
  return graph.tasks.filter(task => needed.has(task.path))
}

function groupByProject (tasks: readonly ProbedTask[]): Map<string, ProbedTask[]> {
  const groups = new Map<string, ProbedTask[]>()
  for (const task of tasks) {
    const project = projectOf(task.path)
    groups.set(project, [...(groups.get(project) ?? []), task])
  }
  return groups
}

/** A unit id: a hash over what a worker would run. */
export function unitId (unit: Pick<Unit, 'project' | 'tasks' | 'run' | 'exclude' | 'testFilters' | 'shard'>): string {
  const { project, tasks, run, exclude, testFilters, shard } = unit
  const content = JSON.stringify(shard == null ? [project, tasks, run, exclude, testFilters] : [project, tasks, run, exclude, testFilters, shard])
  return createHash('sha256').update(content).digest('hex').slice(0, 16)
}

type UnitDraft = Omit<Unit, 'dependsOn'> & { dependencies: Set<string> }

/** Collects units and the tasks each is responsible for, then wires and orders them. */
class UnitBuilder {
  private readonly byPath: Map<string, ProbedTask>
  private readonly drafts: UnitDraft[] = []
  /** Which units a task is done by (a sharded test task: all its shards). */
  private readonly doneBy = new Map<string, string[]>()
  private readonly finalOnly: Set<string>
  private readonly sharded: ShardedTestTask[] = []
  private readonly keeps: string[] = []

  /**
   * @param shardedTests the test tasks run as shards: no other unit may run them unfiltered.
   * @param finalOnly tasks left to the final build from the start (see `outputlessTopTasks`).
   */
  constructor (private readonly tasks: readonly ProbedTask[], private readonly shardedTests: ReadonlySet<string>, finalOnly: ReadonlySet<string>) {
    this.byPath = new Map(tasks.map(task => [task.path, task]))
    this.finalOnly = new Set(finalOnly)
  }

  addProjectUnit (project: string, tasks: readonly ProbedTask[], name = project): UnitDraft {
    const paths = tasks.map(task => task.path)
    const inUnit = new Set(paths)
    const dependedOn = new Set(tasks.flatMap(task => task.dependencies.filter(dep => inUnit.has(dep))))
    const run = paths.filter(taskPath => !dependedOn.has(taskPath))
    const exclude = [...this.shardedTests].filter(testTask => run.some(taskPath => this.reaches(taskPath, testTask, new Set()))).sort()
    const draft = this.add({ name, project, tasks: paths, run, exclude, testFilters: [] }, tasks)
    for (const taskPath of paths) this.doneBy.set(taskPath, [draft.id])
    return draft
  }

  /**
   * The project's test task, what depends on it there and its test source set's tasks (see `testOnlyTasks`) in one
   * unit, the rest in another.
   */
  addSeparateTestProject (project: string, tasks: readonly ProbedTask[], testTask: string): void {
    const { after, testOnly } = this.testSide(testTask, tasks)
    const inTestUnit = (task: ProbedTask): boolean => task.path === testTask || after.has(task.path) || testOnly.has(task.path)
    const main = tasks.filter(task => !inTestUnit(task))
    if (main.length > 0) this.addProjectUnit(project, main)
    this.addProjectUnit(project, tasks.filter(inTestUnit), testTask)
  }

  /**
   * The project's tasks in one unit, but its test source set's (see `testOnlyTasks`) in a unit of their own (`:mod:test
   * classes`, so a test-support module may depend on the module), the test task in shards after both, and what
   * depends on the test task left to the final build.
   */
  addShardedProject (project: string, tasks: readonly ProbedTask[], testTask: string, split: TestShards): void {
    const { after, testOnly } = this.testSide(testTask, tasks)
    const main = tasks.filter(task => task.path !== testTask && !after.has(task.path) && !testOnly.has(task.path))
    const sourceSet = tasks.filter(task => testOnly.has(task.path))
    if (main.length > 0) this.addProjectUnit(project, main)
    if (sourceSet.length > 0) this.addProjectUnit(project, sourceSet, main.length > 0 ? `${testTask} classes` : project)
    const test = this.byPath.get(testTask) as ProbedTask
    const count = split.groups.length
    const ids = split.groups.map((_classes, index) => {
      const shard = { testTask, index: index + 1, count, salt: split.salt }
      const name = `${testTask} [${shard.index}/${shard.count}]`
      return this.add({ name, project, tasks: [testTask], run: [testTask], exclude: [], testFilters: [], shard }, [test]).id
    })
    this.doneBy.set(testTask, ids)
    const reportDirs = { ...(test.junitXmlDir == null ? {} : { junitXml: test.junitXmlDir }), ...(test.htmlReportDir == null ? {} : { html: test.htmlReportDir }) }
    this.sharded.push({ task: testTask, project, shardUnits: ids, classes: split.groups, reportDirs })
    this.keeps.push(...test.dependencies.filter(isClassesTask))
    for (const taskPath of after) this.finalOnly.add(taskPath)
  }

  /** Of a project's `tasks`: those that depend on its test task (`after`) and its test source set's (`testOnly`). */
  private testSide (testTask: string, tasks: readonly ProbedTask[]): { after: Set<string>, testOnly: Set<string> } {
    const after = dependentsWithin(testTask, tasks)
    return { after, testOnly: testOnlyTasks(testTask, new Set([testTask, ...after]), this.byPath) }
  }

  finish (gradleVersion: string, requested: string[]): Omit<UnitPlan, 'warnings'> {
    const dependsOn = new Map(this.drafts.map(draft => [draft.id, this.unitDependencies(draft)]))
    const names = new Map(this.drafts.map(draft => [draft.id, draft.name]))
    const order = topologicalOrder(this.drafts.map(draft => draft.id), dependsOn, id => names.get(id) ?? id)
    const byId = new Map(this.drafts.map(draft => [draft.id, draft]))
    const units = order.map(id => {
      const { dependencies: _dependencies, ...unit } = byId.get(id) as UnitDraft
      return { ...unit, dependsOn: dependsOn.get(id) ?? [] }
    })
    const finalBuildExcludes = this.sharded.map(sharded => sharded.task)
    const finalBuildKeeps = [...new Set(this.keeps)].filter(task => !finalBuildExcludes.includes(task)).sort()
    const finalBuildOnly = this.tasks.map(task => task.path).filter(taskPath => this.finalOnly.has(taskPath))
    return { gradleVersion, requested: [...requested], units, shardedTestTasks: this.sharded, finalBuildOnly, finalBuildExcludes, finalBuildKeeps }
  }

  private add (unit: Omit<Unit, 'id' | 'dependsOn'>, tasks: readonly ProbedTask[]): UnitDraft {
    const id = unitId(unit)
    if (this.drafts.some(draft => draft.id === id)) throw new PlanError(`two units of the plan would run the same work: ${unit.name}`)
    const draft: UnitDraft = { ...unit, id, dependencies: new Set(tasks.flatMap(task => task.dependencies)) }
    this.drafts.push(draft)
    return draft
  }

  /** Unit ids a draft waits for: the units doing its tasks' dependencies, other than itself. */
  private unitDependencies (draft: UnitDraft): string[] {
    const ids = new Set<string>()
    for (const dep of draft.dependencies) for (const id of this.unitsDoing(dep, new Set())) ids.add(id)
    ids.delete(draft.id)
    return [...ids].sort()
  }

  /** Units that must be done for a task to count as done (a final-build-only task: those of its dependencies). */
  private unitsDoing (taskPath: string, seen: Set<string>): string[] {
    const units = this.doneBy.get(taskPath)
    if (units != null) return units
    if (seen.has(taskPath)) return []
    seen.add(taskPath)
    return (this.byPath.get(taskPath)?.dependencies ?? []).flatMap(dep => this.unitsDoing(dep, seen))
  }

  /** Whether running `from` would run `target` (it is `target` or depends on it, through any tasks). */
  private reaches (from: string, target: string, seen: Set<string>): boolean {
    if (from === target) return true
    if (seen.has(from)) return false
    seen.add(from)
    return (this.byPath.get(from)?.dependencies ?? []).some(dep => this.reaches(dep, target, seen))
  }
}
