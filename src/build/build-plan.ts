/**
 * The planning step of `gmesh build`: where the build is, what Gradle would run, cut into units.
 *
 * Gradle runs in the directory the user gave (a subproject's, say), so task names mean there what they mean to
 * `gradle` run in it: `build` in `money/` is `:money:build` and its subprojects'. The snapshot, the plan and the
 * units work from the build's root, where the settings file is; units run fully qualified task paths there.
 */
import { checkBuildDirs } from '../gradle/build-dirs.js'
import { locateGradleProject } from '../gradle/build-root.js'
import { probeTaskGraph, type TaskGraph } from '../gradle/task-graph.js'
import { planBuild } from '../plan/plan-build.js'
import type { ShardRequest, UnitPlan } from '../plan/units.js'

export interface BuildPlanOptions {
  /** Where the user asked for the build: the project whose tasks a name selects. */
  projectDir: string
  /** Tasks (and nothing else) as given after `--`. */
  tasks: string[]
  gradleUserHome?: string
  env?: Record<string, string>
  noDaemon?: boolean
  separateTests?: boolean
  testShardsPerModule?: number
  shardTests?: ShardRequest[]
  signal?: AbortSignal
  /** Told the probe's Gradle process (group) id as soon as it runs (a second Ctrl-C kills it). */
  onSpawn?: (pid: number) => void
}

export interface BuildPlan {
  /** The directory Gradle runs the probe and the final build in (absolute). */
  projectDir: string
  /** The build's root directory: what is snapshotted and where units run their task paths. */
  buildRoot: string
  graph: TaskGraph
  plan: UnitPlan
}

/**
 * Locates the build (a `ProjectDirError` when there is none), probes its task graph and plans the units. A build
 * reaching outside its root (an included build, a project elsewhere) is refused: `OutsideBuildRootError`.
 */
export async function planDistributedBuild (options: BuildPlanOptions): Promise<BuildPlan> {
  const location = await locateGradleProject(options.projectDir)
  const graph = await probeTaskGraph({
    projectDir: location.projectDir,
    tasks: options.tasks,
    noDaemon: options.noDaemon === true,
    ...(options.gradleUserHome == null ? {} : { gradleUserHome: options.gradleUserHome }),
    ...(options.env == null ? {} : { env: options.env }),
    ...(options.signal == null ? {} : { signal: options.signal }),
    ...(options.onSpawn == null ? {} : { onSpawn: options.onSpawn })
  })
  // Gradle's own word where it gives it: Gradle 4.4 builds a directory its settings do not include as a build of its own
  const buildRoot = graph.rootDir ?? location.buildRoot
  checkBuildDirs(graph, buildRoot)
  const plan = await planBuild(graph, {
    rootDir: buildRoot, requested: options.tasks, separateTests: options.separateTests ?? true,
    ...(options.testShardsPerModule == null ? {} : { testShardsPerModule: options.testShardsPerModule }),
    ...(options.shardTests == null ? {} : { shardTests: options.shardTests })
  })
  return { projectDir: location.projectDir, buildRoot, graph, plan }
}
