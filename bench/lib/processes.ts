import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { once } from 'node:events'

/** A child process the benchmarks started; stopped by its pid, never by name. */
export interface TrackedProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly pid: number
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>
}

export class ProcessStartError extends Error {
  override name = 'ProcessStartError'
}

/** Every process started through it can be stopped at once, on success, failure or SIGINT. */
export class ProcessRegistry {
  private readonly running = new Map<number, TrackedProcess>()
  private readonly cleanups = new Set<() => Promise<void> | void>()

  /** Registers work that stops processes started elsewhere (a Gradle run, a daemon); returns its removal. */
  addCleanup (cleanup: () => Promise<void> | void): () => void {
    this.cleanups.add(cleanup)
    return () => { this.cleanups.delete(cleanup) }
  }

  spawn (name: string, command: string, args: readonly string[], options: SpawnOptions = {}): TrackedProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    if (child.pid == null) throw new ProcessStartError(`could not start ${name} (${command})`)
    return this.adopt(name, child)
  }

  /** Tracks a child started elsewhere (spawnNode of src/client): listed, and stopped by pid with the rest. */
  adopt (name: string, child: ChildProcess): TrackedProcess {
    if (child.pid == null) throw new ProcessStartError(`${name} has no pid`)
    const pid = child.pid
    const gone = child.exitCode ?? child.signalCode
    if (gone != null) return { name, child, pid, exited: Promise.resolve(gone) }
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        this.running.delete(pid)
        resolve(code ?? signal ?? 'unknown')
      })
    })
    child.once('error', () => { this.running.delete(pid) })
    const tracked: TrackedProcess = { name, child, pid, exited }
    this.running.set(pid, tracked)
    return tracked
  }

  /** SIGTERM, then SIGKILL after graceMs if it is still alive. */
  async stop (proc: TrackedProcess, graceMs = 5000): Promise<void> {
    if (!this.running.has(proc.pid)) return
    signal(proc.pid, 'SIGTERM')
    const timer = new AbortController()
    const killed = new Promise<void>((resolve) => {
      const handle = setTimeout(() => { signal(proc.pid, 'SIGKILL'); resolve() }, graceMs)
      timer.signal.addEventListener('abort', () => { clearTimeout(handle); resolve() })
    })
    await Promise.race([proc.exited, killed])
    timer.abort()
    await proc.exited
  }

  async stopAll (): Promise<void> {
    const cleanups = [...this.cleanups]
    this.cleanups.clear()
    for (const cleanup of cleanups) {
      try { await cleanup() } catch { /* keep stopping the rest */ }
    }
    await Promise.all([...this.running.values()].map(async (p) => { await this.stop(p) }))
  }

  /** Synchronous last resort for process 'exit': SIGKILL whatever is left. */
  killAllNow (): void {
    for (const pid of this.running.keys()) signal(pid, 'SIGKILL')
  }

  list (): TrackedProcess[] {
    return [...this.running.values()]
  }
}

function signal (pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig) } catch { /* already gone */ }
}

/** The registry every benchmark module uses, so run.ts can stop everything on SIGINT. */
export const processes = new ProcessRegistry()

export interface CommandResult {
  code: number | string
  stdout: string
  stderr: string
  ms: number
}

/** Runs a command to completion (tracked, so SIGINT stops it too), collecting its output. */
export async function runCommand (name: string, command: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<CommandResult> {
  const started = performance.now()
  const proc = processes.spawn(name, command, args, options)
  const closed = once(proc.child, 'close')
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  proc.child.stdout?.on('data', (b: Buffer) => stdout.push(b))
  proc.child.stderr?.on('data', (b: Buffer) => stderr.push(b))
  const timeout = setTimeout(() => { void processes.stop(proc) }, options.timeoutMs ?? 10 * 60_000)
  try {
    const code = await proc.exited
    await closed
    return { code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), ms: performance.now() - started }
  } finally {
    clearTimeout(timeout)
  }
}
