/**
 * Which tasks of a probed graph the requested tasks are. Gradle itself knows: a name selects the tasks of that name
 * in the project Gradle ran in and its subprojects, an abbreviation (`cJ`) the one task name it stands for. The
 * probe records that selection (see task-graph.ts); a graph without it (made by hand, or probed for other tasks)
 * is matched by exact names and paths.
 */
import type { TaskGraph } from '../gradle/task-graph.js'

/** A requested task that the graph does not name as given, with no selection of Gradle's to resolve it. */
export class UnresolvedTaskError extends Error {
  static readonly code = 'ERR_UNRESOLVED_TASK'
  override name = 'UnresolvedTaskError'
}

/**
 * The task paths the requests select, each with the request(s) it came from: Gradle's selection when the graph was
 * probed for these very requests and records it, else the tasks each request names exactly (a name: every task of
 * that name; a path: that task). Throws {@link UnresolvedTaskError} for a request that names no task.
 */
export function selectRequested (graph: TaskGraph, requested: readonly string[]): Array<[string, string[]]> {
  const probedForThese = graph.requested != null && graph.requested.length === requested.length && graph.requested.every((task, i) => task === requested[i])
  if (probedForThese && graph.selected != null) return [[requested.join(' '), graph.selected]]
  return requested.map(request => {
    const isPath = request.includes(':')
    const wanted = isPath ? (request.startsWith(':') ? request : `:${request}`) : request
    const matches = graph.tasks.filter(task => isPath ? task.path === wanted : task.path.slice(task.path.lastIndexOf(':') + 1) === wanted)
    if (matches.length === 0) {
      throw new UnresolvedTaskError(`no task of the build is named '${request}' exactly, and this Gradle does not tell gmesh which tasks it selected for it: give full task names or paths (e.g. compileJava or :money:compileJava, not cJ)`)
    }
    return [request, matches.map(task => task.path)]
  })
}
