import { readFileSync } from 'node:fs'

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive (pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * When the process started, in clock ticks since boot (field 22 of Linux's /proc/<pid>/stat), or undefined
 * where /proc does not tell. A pid and its start time name one process: a pid reused later has another.
 */
export function processStartTime (pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) is in parentheses and may hold spaces: fields 3.. follow the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}
