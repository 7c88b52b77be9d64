/**
 * Whether a build lies inside its root directory: a worker gets a snapshot of the build's root and nothing else,
 * so an included build (`includeBuild '../lib'`) or a project whose directory settings put elsewhere
 * (`project(':x').projectDir = new File(settingsDir, '../x')`) would be missing there, and every unit would fail.
 * Such a build is refused before anything is snapshotted.
 *
 * Limitation: builds that an included build includes in turn are not asked (the probe runs in the root build only).
 */
import path from 'node:path'
import type { ProbedDir, TaskGraph } from './task-graph.js'

/** The build reaches outside its root: a usage error naming what lies where, and what to do. */
export class OutsideBuildRootError extends Error {
  static readonly code = 'ERR_OUTSIDE_BUILD_ROOT'
  override name = 'OutsideBuildRootError'
}

/** Whether `dir` is `root` or below it (both absolute). */
export function isWithin (root: string, dir: string): boolean {
  const relative = path.relative(root, dir)
  return relative === '' || (!path.isAbsolute(relative) && relative !== '..' && !relative.startsWith(`..${path.sep}`))
}

/** Throws {@link OutsideBuildRootError} when an included build or a project of `graph` lies outside `buildRoot`. */
export function checkBuildDirs (graph: TaskGraph, buildRoot: string): void {
  const outside = (dirs: readonly ProbedDir[] | undefined): ProbedDir[] => (dirs ?? []).filter(entry => !isWithin(buildRoot, entry.dir))
  const builds = outside(graph.includedBuilds)
  const projects = outside(graph.projects)
  const named = [
    ...builds.map(entry => `the included build '${entry.name}' (${entry.dir})`),
    ...projects.map(entry => `the project ${entry.name} (${entry.dir})`)
  ]
  if (named.length === 0) return
  const parent = commonParent([buildRoot, ...[...builds, ...projects].map(entry => entry.dir)])
  throw new OutsideBuildRootError(
    `${named.join(', ')} ${named.length === 1 ? 'lies' : 'lie'} outside the build's root ${buildRoot}, and workers get only a copy of that ` +
    `directory: move ${named.length === 1 ? 'it' : 'them'} below it, or make a directory holding all of them, such as ${parent}, ` +
    'the build\'s root (its settings.gradle including them) and give it with --project'
  )
}

/** The deepest directory holding every one of `dirs` (absolute). */
function commonParent (dirs: readonly string[]): string {
  let parent = path.dirname(dirs[0]!)
  while (!dirs.every(dir => isWithin(parent, dir))) parent = path.dirname(parent)
  return parent
}
