/** Task and project paths of a Gradle build as the planner reads them, and the planner's error. */

export class PlanError extends Error {
  static readonly code = 'ERR_PLAN'
  override name = 'PlanError'
}

/** Project path of a task path: `:a:b:compileJava` -> `:a:b`, `:build` -> `:`. */
export function projectOf (taskPath: string): string {
  const cut = taskPath.lastIndexOf(':')
  return cut <= 0 ? ':' : taskPath.slice(0, cut)
}

/** Name of a task path: `:a:b:compileJava` -> `compileJava`. */
export function taskName (taskPath: string): string {
  return taskPath.slice(taskPath.lastIndexOf(':') + 1)
}

/** Project path of a module as a user names it: `money` or `:money` -> `:money`, `:` -> `:`. */
export function projectPath (module: string): string {
  return module.startsWith(':') ? module : `:${module}`
}

/** Path of the task `name` in the project at `project`: (`:money`, `test`) -> `:money:test`, (`:`, `test`) -> `:test`. */
export function taskPathIn (project: string, name: string): string {
  return `${project === ':' ? '' : project}:${name}`
}
