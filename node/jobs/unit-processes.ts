/**
 * Gradle processes of the units this node runs, one empty file per process id in `<builds>/pids`.
 * If the node dies without stopping them (kill -9, power cut of the parent), the next start kills
 * what is left: a process is taken as ours only while its working directory is inside this node's
 * workspaces, so a reused pid of an unrelated process is never touched. Tests read the same files
 * to stop what a killed node left behind.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../../src/config/logger.js'
import { worksUnder } from '../../src/gradle/linux-processes.js'

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
    return await worksUnder(pid, this.workspacesRoot)
  }
}
