/**
 * Finding and stopping Gradle daemons (Linux; elsewhere none are found). An idle daemon works in
 * `<gradle user home>/daemon/<version>` and keeps its log there open. While it builds a project it works in the
 * project's directory (Gradle moves it there) and holds the project's lock and history files open
 * (`.gradle/<version>/fileHashes`, `taskHistory`, `buildOutputCleanup`); it moves back and closes them when the
 * build ends. So the daemons of a home are found even while they build, and so is the one building a workspace.
 * A daemon leads its own process group, with the test and compiler JVMs it forks: it is killed with its group.
 */
import { realpath } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { allProcesses, argvOf, killAndWait, killProcessesUnder, worksOrHoldsFilesUnder, type ProcessRef } from './linux-processes.js'

export { killProcessesUnder, processesUnder } from './linux-processes.js'

/** The main class on a Gradle daemon's command line (Gradle 4 through 8). */
const DAEMON_MAIN_CLASS = 'org.gradle.launcher.daemon.bootstrap.GradleDaemon'

/** The Gradle daemons of `gradleUserHome`: they work in its `daemon/` dir when idle and keep their log there open. */
export async function daemonsOf (gradleUserHome: string): Promise<ProcessRef[]> {
  const daemonDir = path.join(await realpathOrAsIs(gradleUserHome), 'daemon')
  const daemons: ProcessRef[] = []
  for (const ref of await allProcesses()) {
    if (!(await argvOf(ref.pid)).includes(DAEMON_MAIN_CLASS)) continue
    if (await worksOrHoldsFilesUnder(ref.pid, daemonDir)) daemons.push(ref)
  }
  return daemons
}

/** SIGKILLs the daemons of `gradleUserHome`, idle or building, with the JVMs they forked; returns their pids. */
export async function killDaemonsOf (gradleUserHome: string): Promise<number[]> {
  return await killAndWait(await daemonsOf(gradleUserHome), { groups: true })
}

/** The daemons of `gradleUserHome` building `projectDir`: working in it or holding files of it open. */
export async function daemonsBuildingIn (gradleUserHome: string, projectDir: string): Promise<ProcessRef[]> {
  const project = await realpathOrAsIs(projectDir)
  const building: ProcessRef[] = []
  for (const ref of await daemonsOf(gradleUserHome)) {
    if (await worksOrHoldsFilesUnder(ref.pid, project)) building.push(ref)
  }
  return building
}

export interface ReleaseOptions {
  graceMs: number
  pollMs?: number
  /** Aborted: the grace ends at once (the node is stopping and kills every daemon anyway). */
  skipGrace?: AbortSignal
}

/**
 * Waits up to `graceMs` for the daemons building in `projectDir` to let go of it (a daemon whose client was killed
 * cancels the build, but only between tasks), then SIGKILLs those still at it, with the JVMs they forked, and
 * whatever else still works in the project (a test JVM whose daemon died). Returns the daemons it killed. A
 * daemon that lets go in time stays warm for the next build.
 */
export async function releaseProjectFromDaemons (gradleUserHome: string, projectDir: string, options: ReleaseOptions): Promise<number[]> {
  // a wait: on performance.now(), which a step of the wall clock does not stretch
  const giveUpAt = performance.now() + options.graceMs
  let building = await daemonsBuildingIn(gradleUserHome, projectDir)
  while (building.length > 0 && performance.now() < giveUpAt && options.skipGrace?.aborted !== true) {
    await setTimeout(options.pollMs ?? 100)
    building = await daemonsBuildingIn(gradleUserHome, projectDir)
  }
  const killed = await killAndWait(building, { groups: true })
  if (killed.length > 0) await killProcessesUnder(await realpathOrAsIs(projectDir))
  return killed
}

async function realpathOrAsIs (dir: string): Promise<string> {
  return await realpath(dir).catch(() => dir)
}
