/**
 * Sets of tasks the planner reads off the task graph: what depends on what, which tasks no worker needs to run, and
 * which of a project's tasks serve only its test task (its test source set).
 */
import type { ProbedTask } from '../gradle/task-graph.js'
import { dependentsOf } from './dag.js'
import { PlanError, projectOf } from './task-paths.js'

/** Every task asked for is left to the final build (see {@link outputlessTopTasks}): there is no work for workers. */
export class NothingToDistributeError extends PlanError {
  override name = 'NothingToDistributeError'

  constructor (requested: readonly string[]) {
    super(`nothing for workers to build: ${requested.join(' ')} and what it needs declare no outputs; run it on this machine: gmesh gradle -- ${requested.join(' ')}`)
  }
}

/** Tasks among `tasks` that depend on `target`, directly or through each other. */
export function dependentsWithin (target: string, tasks: readonly ProbedTask[]): Set<string> {
  const found = new Set<string>()
  let grew = true
  while (grew) {
    grew = false
    for (const task of tasks) {
      if (found.has(task.path)) continue
      if (task.dependencies.some(dep => dep === target || found.has(dep))) { found.add(task.path); grew = true }
    }
  }
  return found
}

/** `starts` and every task they depend on, directly or not, walking only edges to tasks `follow` accepts. */
export function dependencyClosure (
  starts: Iterable<string>, byPath: ReadonlyMap<string, ProbedTask>, follow: (taskPath: string) => boolean = () => true
): Set<string> {
  const found = new Set<string>()
  const stack = [...starts]
  while (stack.length > 0) {
    const taskPath = stack.pop() as string
    if (found.has(taskPath)) continue
    found.add(taskPath)
    for (const dep of byPath.get(taskPath)?.dependencies ?? []) if (follow(dep)) stack.push(dep)
  }
  return found
}

/**
 * Tasks no worker needs to run, left to the final build: a task that declares no outputs (`build`, `check`,
 * `publish`, `publishToMavenLocal`, an `Exec` without outputs) leaves nothing in the cache for the final build, so
 * a worker would run it for nothing, or twice with its side effects (publishing from its workspace). Only those that
 * no other task of the plan needs, save tasks of the same kind: a task without outputs that compilation depends on
 * (one that generates sources it does not declare) still runs where the compilation does. A graph without the
 * probe's `hasOutputs` (made by hand, or by an older probe) has no such tasks.
 */
export function outputlessTopTasks (tasks: readonly ProbedTask[]): Set<string> {
  const byPath = new Map(tasks.map(task => [task.path, task]))
  const dependents = dependentsOf(byPath.keys(), path => byPath.get(path)?.dependencies ?? [])
  const found = new Set<string>()
  let grew = true
  while (grew) {
    grew = false
    for (const task of tasks) {
      if (found.has(task.path) || task.hasOutputs !== false) continue
      if ((dependents.get(task.path) ?? []).every(dependent => found.has(dependent))) { found.add(task.path); grew = true }
    }
  }
  return found
}

/**
 * The tasks of a project that only its test unit needs: its test source set (`compileTestJava`,
 * `processTestResources`, `testClasses`, their Groovy or Kotlin kin), found from the graph, not by name. They are the
 * project's tasks the test task reaches through tasks of the project, less those that any other task of the plan
 * (`byPath`) needs, through any project, other than through the test unit's own tasks (`testUnit`: the test task and
 * what follows it in the project). So the module's jar, which its own test runtime and other modules both need,
 * stays out; and a test source set that depends on a test-support module which itself depends on the project
 * (`testImplementation project(':testing')`) runs after that module, in the test unit, without a cycle of units.
 */
export function testOnlyTasks (testTask: string, testUnit: ReadonlySet<string>, byPath: ReadonlyMap<string, ProbedTask>): Set<string> {
  const project = projectOf(testTask)
  const candidates = dependencyClosure([testTask], byPath, dep => projectOf(dep) === project)
  const roots = [...byPath.keys()].filter(taskPath => !candidates.has(taskPath) && !testUnit.has(taskPath))
  const neededElsewhere = dependencyClosure(roots, byPath, dep => !testUnit.has(dep) && dep !== testTask)
  return new Set([...candidates].filter(taskPath => taskPath !== testTask && !neededElsewhere.has(taskPath)))
}
