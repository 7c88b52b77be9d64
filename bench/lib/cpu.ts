import { readdir, readFile } from 'node:fs/promises'

/** Linux USER_HZ: /proc times are in these ticks (100 on every mainstream Linux build). */
const TICKS_PER_SECOND = 100

interface ProcStat { ppid: number, cpuTicks: number }

async function procStat (pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name: state ppid ... utime(14) stime(15), 1-based overall.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) }
  } catch {
    return undefined
  }
}

/** CPU seconds used so far by a process and its direct children (nginx's master and workers). */
export async function cpuSecondsOfTree (pid: number): Promise<number> {
  let ticks = (await procStat(pid))?.cpuTicks ?? 0
  let entries: string[] = []
  try { entries = await readdir('/proc') } catch { return 0 }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await procStat(Number(entry))
    if (stat?.ppid === pid) ticks += stat.cpuTicks
  }
  return ticks / TICKS_PER_SECOND
}
