/**
 * Gradle processes of the units this node runs, one empty file per process id in `<builds>/pids`.
 * If the node dies without stopping them (kill -9, power cut of the parent), the next start kills
 * what is left: a process is taken as ours only while its working directory is inside this node's
 * workspaces, so a reused pid of an unrelated process is never touched. Tests read the same files
 * to stop what a killed node left behind.
 */
import { mkdir, readdir, readlink, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout } from 'node:timers/promises'
import type { Logger } from '../../src/config/logger.js'

export class UnitProcesses {
  private readonly writes = new Map<number, Promise<void>>()

  constructor (readonly dir: string, private readonly workspacesRoot: string, private readonly logger: Logger) {}

  async start (): Promise<void> {
    await mkdir(this.dir, { recursive: true })
  }

  /** Kills the process groups of units an earlier run of this node left running; returns their pids. */
  async killLeftovers (): Promise<number[]> {
    const killed: number[] = []
    for (const name of await readdir(this.dir)) {
      const pid = Number(name)
      if (Number.isSafeInteger(pid) && pid > 1 && await this.isOurs(pid)) {
        try {
          process.kill(-pid, 'SIGKILL')
          killed.push(pid)
        } catch (err) {
          this.logger.debug({ err, pid }, 'leftover unit process already gone')
        }
      }
      await rm(path.join(this.dir, name), { force: true })
    }
    return killed
  }

  /** Records a running unit's Gradle; errors are logged, never thrown (bookkeeping must not fail a unit). */
  track (pid: number): void {
    this.writes.set(pid, writeFile(path.join(this.dir, String(pid)), '').catch((err: unknown) => { this.logger.warn({ err, pid }, 'could not record a unit process') }))
  }

  async untrack (pid: number): Promise<void> {
    await this.writes.get(pid)
    this.writes.delete(pid)
    await rm(path.join(this.dir, String(pid)), { force: true })
  }

  private async isOurs (pid: number): Promise<boolean> {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined)
    return cwd != null && (cwd === this.workspacesRoot || cwd.startsWith(this.workspacesRoot + path.sep))
  }
}

/**
 * Processes whose working directory is `dir` or below it (Linux /proc; none elsewhere). Gradle
 * daemons work in `<gradle user home>/daemon/<version>`, so this finds the daemons of a home.
 */
export async function processesUnder (dir: string): Promise<number[]> {
  const pids: number[] = []
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => undefined)
    if (cwd != null && (cwd === dir || cwd.startsWith(dir + path.sep))) pids.push(Number(name))
  }
  return pids
}

/** SIGKILLs every process working under `dir` and waits (up to 5 s) until they are gone; returns their pids. */
export async function killProcessesUnder (dir: string): Promise<number[]> {
  const pids = await processesUnder(dir)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  const giveUpAt = Date.now() + 5000
  while (pids.some(alive) && Date.now() < giveUpAt) await setTimeout(20)
  return pids
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
