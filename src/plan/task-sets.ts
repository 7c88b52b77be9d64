/**
 * Sets of tasks the planner reads off the task graph: what depends on what, and which of a project's tasks serve only
 * its test task (its test source set).
 */
import type { ProbedTask } from '../gradle/task-graph.js'
import { projectOf } from './task-paths.js'

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
 * The tasks of a project that only its test task needs: its test source set (`compileTestJava`,
 * `processTestResources`, `testClasses`, their Groovy or Kotlin kin), found from the graph, not by name. They are the
 * project's tasks the test task reaches through tasks of the project, less those the rest of the project's unit
 * (`kept`: its tasks other than the test task and what follows it) needs, through any project. A test source set
 * that depends on a test-support module which itself depends on the project (`testImplementation
 * project(':testing')`) can then run after that module, in the test unit, without a cycle of units.
 */
export function testOnlyTasks (
  testTask: string, kept: readonly ProbedTask[], byPath: ReadonlyMap<string, ProbedTask>
): Set<string> {
  const project = projectOf(testTask)
  const fromTest = dependencyClosure([testTask], byPath, dep => projectOf(dep) === project)
  const keptRoots = kept.map(task => task.path).filter(taskPath => !fromTest.has(taskPath))
  const neededByKept = dependencyClosure(keptRoots, byPath)
  return new Set([...fromTest].filter(taskPath => taskPath !== testTask && !neededByKept.has(taskPath)))
}
