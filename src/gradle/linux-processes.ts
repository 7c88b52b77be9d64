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
  for (const ref of refs) {
    if ((await refOf(ref.pid))?.startTime !== ref.startTime) continue
    if (options.groups === true) signalQuietly(-ref.pid)
    signalQuietly(ref.pid)
    killed.push(ref.pid)
  }
  const giveUpAt = Date.now() + 5000
  while (Date.now() < giveUpAt && (await Promise.all(killed.map(running))).some(Boolean)) await setTimeout(20)
  return killed
}

async function worksUnder (pid: number, dir: string): Promise<boolean> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined)
  return cwd != null && isUnder(cwd, dir)
}

/** The process's start time, or undefined once it is gone. The command name (field 2) may hold spaces and ')'. */
async function refOf (pid: number): Promise<ProcessRef | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19]
  return fields?.[19] === undefined ? undefined : { pid, startTime: fields[19] }
}

/** Alive and not a zombie: a killed child of a pid 1 that never reaps it stays a zombie for good. */
async function running (pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return false
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state !== 'Z' && state !== 'X'
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
