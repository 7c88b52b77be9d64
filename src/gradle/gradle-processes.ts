/**
 * Finding and stopping Gradle processes through Linux's /proc (elsewhere nothing is found). An idle Gradle daemon
 * works in `<gradle user home>/daemon/<version>` and keeps its log there open. While it builds a project it works
 * in the project's directory (Gradle moves it there) and holds the project's lock and history files open
 * (`.gradle/<version>/fileHashes`, `taskHistory`, `buildOutputCleanup`); it moves back and closes them when the
 * build ends. So the daemons of a home are found even while they build, and so is the one building a workspace.
 */
import { readdir, readFile, readlink, realpath } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout } from 'node:timers/promises'

/** The main class on a Gradle daemon's command line (Gradle 4 through 8). */
const DAEMON_MAIN_CLASS = 'org.gradle.launcher.daemon.bootstrap.GradleDaemon'

/** Processes whose working directory is `dir` or below it. */
export async function processesUnder (dir: string): Promise<number[]> {
  const pids: number[] = []
  for (const pid of await otherProcesses()) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined)
    if (cwd != null && isUnder(cwd, dir)) pids.push(pid)
  }
  return pids
}

/** SIGKILLs every process working under `dir` and waits (up to 5 s) until they are gone; returns their pids. */
export async function killProcessesUnder (dir: string): Promise<number[]> {
  return await killAndWait(await processesUnder(dir))
}

/** The Gradle daemons of `gradleUserHome`: they work in its `daemon/` dir when idle and keep their log there open. */
export async function daemonsOf (gradleUserHome: string): Promise<number[]> {
  const daemonDir = path.join(await realpathOrAsIs(gradleUserHome), 'daemon')
  const daemons: number[] = []
  for (const pid of await otherProcesses()) {
    if (!(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(DAEMON_MAIN_CLASS)) continue
    if (await worksOrHoldsFilesUnder(pid, daemonDir)) daemons.push(pid)
  }
  return daemons
}

/** SIGKILLs the daemons of `gradleUserHome`, idle or building, and waits (up to 5 s) until they are gone. */
export async function killDaemonsOf (gradleUserHome: string): Promise<number[]> {
  return await killAndWait(await daemonsOf(gradleUserHome))
}

/** The daemons of `gradleUserHome` building `projectDir`: working in it or holding files of it open. */
export async function daemonsBuildingIn (gradleUserHome: string, projectDir: string): Promise<number[]> {
  const project = await realpathOrAsIs(projectDir)
  const building: number[] = []
  for (const pid of await daemonsOf(gradleUserHome)) {
    if (await worksOrHoldsFilesUnder(pid, project)) building.push(pid)
  }
  return building
}

/**
 * Waits up to `graceMs` for the daemons building in `projectDir` to let go of it (a daemon whose client was killed
 * cancels the build, but only between tasks), then SIGKILLs those still at it; returns the pids it killed. A
 * daemon that lets go in time stays warm for the next build.
 */
export async function releaseProjectFromDaemons (gradleUserHome: string, projectDir: string, options: { graceMs: number, pollMs?: number }): Promise<number[]> {
  const giveUpAt = Date.now() + options.graceMs
  let building = await daemonsBuildingIn(gradleUserHome, projectDir)
  while (building.length > 0 && Date.now() < giveUpAt) {
    await setTimeout(options.pollMs ?? 100)
    building = await daemonsBuildingIn(gradleUserHome, projectDir)
  }
  return await killAndWait(building)
}

/** SIGKILLs `pids` and waits (up to 5 s) until they are gone. */
async function killAndWait (pids: number[]): Promise<number[]> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  const giveUpAt = Date.now() + 5000
  while (pids.some(alive) && Date.now() < giveUpAt) await setTimeout(20)
  return pids
}

async function worksOrHoldsFilesUnder (pid: number, dir: string): Promise<boolean> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined)
  if (cwd != null && isUnder(cwd, dir)) return true
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined)
    if (target != null && isUnder(target, dir)) return true
  }
  return false
}

async function otherProcesses (): Promise<number[]> {
  const names = await readdir('/proc').catch(() => [] as string[])
  return names.filter(name => /^\d+$/.test(name)).map(Number).filter(pid => pid !== process.pid)
}

async function realpathOrAsIs (dir: string): Promise<string> {
  return await realpath(dir).catch(() => dir)
}

function isUnder (file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir + path.sep)
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
