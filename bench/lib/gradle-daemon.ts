import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { runCommand } from './processes.js'

/** Pids of the daemons started with this Gradle user home, from their log names (`daemon/<version>/daemon-<pid>.out.log`). */
export async function daemonPids (gradleUserHome: string): Promise<number[]> {
  const pids: number[] = []
  let versions: string[] = []
  try { versions = await readdir(join(gradleUserHome, 'daemon')) } catch { return pids }
  for (const version of versions) {
    let files: string[] = []
    try { files = await readdir(join(gradleUserHome, 'daemon', version)) } catch { continue }
    for (const f of files) {
      const m = /^daemon-(\d+)\.out\.log$/.exec(f)
      if (m != null) pids.push(Number(m[1]))
    }
  }
  return pids
}

/** True when the pid is a live (not zombie) Gradle daemon. */
async function isLiveDaemon (pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.includes('GradleDaemon')
  } catch {
    return false
  }
}

/**
 * Stops the daemons of a private Gradle user home: `gradle --stop` first, then SIGKILL by pid for any
 * daemon still alive. Returns the pids that had to be killed.
 */
export async function stopGradleDaemons (gradle: string, gradleUserHome: string, cwd: string): Promise<number[]> {
  const pids = await daemonPids(gradleUserHome)
  if (pids.length === 0) return []
  await runCommand('gradle --stop', gradle, ['--stop', '--gradle-user-home', gradleUserHome], { cwd, timeoutMs: 60_000 })
  // gradle --stop returns once the daemons were asked; give them a moment to exit.
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && (await anyLive(pids))) await delay(100)
  const killed: number[] = []
  for (const pid of pids) {
    if (!(await isLiveDaemon(pid))) continue
    try { process.kill(pid, 'SIGKILL'); killed.push(pid) } catch { /* gone meanwhile */ }
  }
  return killed
}

async function anyLive (pids: readonly number[]): Promise<boolean> {
  for (const pid of pids) if (await isLiveDaemon(pid)) return true
  return false
}
