/**
 * Processes as Linux's /proc shows them (elsewhere nothing is found): where they work, which files they hold,
 * and killing them safely. A process is remembered with its start time, so a pid the kernel has given to a new
 * process since it was found is never signalled.
 */
import { readdir, readFile, readlink } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout } from 'node:timers/promises'

export interface ProcessRef {
  pid: number
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot when it started. */
  startTime: string
}

/** Every process but this one, with its start time. */
export async function allProcesses (): Promise<ProcessRef[]> {
  const names = await readdir('/proc').catch(() => [] as string[])
  const refs = await Promise.all(names.filter(name => /^\d+$/.test(name) && Number(name) !== process.pid).map(async name => await refOf(Number(name))))
  return refs.filter((ref): ref is ProcessRef => ref !== undefined)
}

/** The process's command line, one argument per element ([] once it is gone). */
export async function argvOf (pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0')
}

/** True when the process works in `dir` (or below) or holds a file there open. */
export async function worksOrHoldsFilesUnder (pid: number, dir: string): Promise<boolean> {
  if (await worksUnder(pid, dir)) return true
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined)
    if (target != null && isUnder(target, dir)) return true
  }
  return false
}

/** Processes whose working directory is `dir` or below it. */
export async function processesUnder (dir: string): Promise<ProcessRef[]> {
  const found: ProcessRef[] = []
  for (const ref of await allProcesses()) if (await worksUnder(ref.pid, dir)) found.push(ref)
  return found
}

/** SIGKILLs every process working under `dir` and waits (up to 5 s) until they are gone; returns their pids. */
export async function killProcessesUnder (dir: string): Promise<number[]> {
  return await killAndWait(await processesUnder(dir))
}

/**
 * SIGKILLs each process still the one found (same start time) and, with `groups`, the process group it leads;
 * waits (up to 5 s) until they are gone or zombies. Returns the pids signalled.
 */
export async function killAndWait (refs: ProcessRef[], options: { groups?: boolean } = {}): Promise<number[]> {
  const killed: number[] = []
  const waitFor: number[] = []
  for (const ref of refs) {
    if ((await refOf(ref.pid))?.startTime !== ref.startTime) continue
    if (options.groups === true) {
      waitFor.push(...await groupMembers(ref.pid))
      signalQuietly(-ref.pid)
    }
    signalQuietly(ref.pid)
    killed.push(ref.pid)
  }
  waitFor.push(...killed)
  const giveUpAt = performance.now() + 5000 // a wait: a step of the wall clock must not stretch it
  while (performance.now() < giveUpAt && (await Promise.all(waitFor.map(running))).some(Boolean)) await setTimeout(20)
  return killed
}

/** The processes of process group `pgid` (field 5 of /proc/<pid>/stat). */
async function groupMembers (pgid: number): Promise<number[]> {
  const members: number[] = []
  for (const ref of await allProcesses()) if ((await statFields(ref.pid))?.[2] === String(pgid)) members.push(ref.pid)
  return members
}

/** True when the process's working directory is `dir` or below it. */
export async function worksUnder (pid: number, dir: string): Promise<boolean> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined)
  return cwd != null && isUnder(cwd, dir)
}

/** The fields of /proc/<pid>/stat from field 3 (state) on; the command name (field 2) may hold spaces and ')'. */
async function statFields (pid: number): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** The process's start time (field 22), or undefined once it is gone. */
async function refOf (pid: number): Promise<ProcessRef | undefined> {
  const startTime = (await statFields(pid))?.[19]
  return startTime === undefined ? undefined : { pid, startTime }
}

/** Alive and not a zombie: a killed child of a pid 1 that never reaps it stays a zombie for good. */
async function running (pid: number): Promise<boolean> {
  const state = (await statFields(pid))?.[0]
  return state !== undefined && state !== 'Z' && state !== 'X'
}

function signalQuietly (pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone already, or not a group leader
  }
}

export function isUnder (file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir + path.sep)
}
