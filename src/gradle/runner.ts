import { spawn, type ChildProcess } from 'node:child_process'
import type { Writable } from 'node:stream'
import { BuildOutputParser, type BuildSummary } from './build-output.js'
import { assertDirectory } from './build-root.js'
import { commandLine, findGradleCommand, type GradleCommand } from './gradle-command.js'
import { SUPPLIED_SCRIPT_PROPERTY } from './init-script.js'
import { initScriptFile } from './init-script-file.js'

/** How long Gradle gets to stop after SIGTERM before its process group gets SIGKILL. */
const KILL_GRACE_MS = 10_000

export interface GradleRunOptions {
  /** The Gradle project to build (its root, where settings.gradle lives). */
  projectDir: string
  /** Tasks and flags for Gradle, e.g. `['build']`. */
  args: string[]
  /** Init script text passed with `-I` (written to a temp file for the build's duration). */
  initScript?: string
  /** `--gradle-user-home`; default: Gradle's own (GRADLE_USER_HOME or ~/.gradle). */
  gradleUserHome?: string
  /** Add `--no-daemon` (default false). */
  noDaemon?: boolean
  /** Add `--build-cache` unless the args already choose (default true). */
  buildCache?: boolean
  /** Add `--console=plain` unless the args already choose, so the output can be parsed (default true). */
  plainConsole?: boolean
  /** Extra environment variables on top of this process's environment. */
  env?: Record<string, string>
  /**
   * `java.io.tmpdir` of Gradle's JVMs, the client and the daemon it starts or picks (see `gradleEnvironment`), where
   * Gradle 4.x writes its temp files (test workers' classpath files, dependency resolution results) and never removes some.
   */
  tmpDir?: string
  /** Aborting kills Gradle's whole process tree. */
  signal?: AbortSignal
  /**
   * Gradle's stdin (default 'ignore'): 'inherit' for a user's own build (`gmesh gradle`), where a `run` task or
   * `--scan`'s terms prompt reads it. Gradle runs in a session of its own, so reading the terminal never stops it
   * (no SIGTTIN: that is only for a background job of the terminal's own session).
   */
  stdin?: 'ignore' | 'inherit'
  /** Where Gradle's output is copied to; `null` to swallow it. Defaults: process.stdout / process.stderr. */
  stdout?: Writable | null
  stderr?: Writable | null
  /** Told each chunk of Gradle's output as it comes, wherever it is copied to (e.g. an OutputTail's push). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void
  /** The executable to run instead of ./gradlew or gradle on PATH. */
  gradleExecutable?: string
  /** The Gradle to run, as `findGradleCommand` found it (wins over `gradleExecutable`). */
  gradleCommand?: GradleCommand
  /** Told Gradle's process id (also its process group id) as soon as it runs. */
  onSpawn?: (pid: number) => void
  /** Where the init script is written (default the OS temp dir; see init-script-file.ts). */
  scratchDir?: string
  /**
   * Keep the init script at a path named by its content rather than in a one-run temp dir (default false): for
   * builds of a user's own project, where Gradle's configuration cache can then hit from one run to the next.
   */
  keepInitScript?: boolean
}

export interface GradleRunResult {
  /** Process id of the Gradle client (also its process group id). */
  pid: number | undefined
  /** Gradle's exit code; 1 when it was killed by a signal. */
  exitCode: number
  /** The signal that ended Gradle, if any (e.g. after an abort). */
  signal: NodeJS.Signals | null
  aborted: boolean
  summary: BuildSummary
  durationMs: number
  /** The command line that was run. */
  command: string[]
}

/** The full Gradle argument list for a run: the init script, the user's args and the chosen defaults. */
export function gradleArguments (options: GradleRunOptions, initScriptPath?: string): string[] {
  const args: string[] = []
  const has = (prefix: string): boolean => options.args.some(a => a === prefix || a.startsWith(`${prefix}=`))
  // the property tells a script installed in init.d to leave the cache settings to this one
  if (initScriptPath != null) args.push('-I', initScriptPath, `-D${SUPPLIED_SCRIPT_PROPERTY}=1`)
  if (options.gradleUserHome != null) args.push('--gradle-user-home', options.gradleUserHome)
  if (options.noDaemon === true && !has('--daemon') && !has('--no-daemon')) args.push('--no-daemon')
  if ((options.buildCache ?? true) && !has('--build-cache') && !has('--no-build-cache')) args.push('--build-cache')
  if ((options.plainConsole ?? true) && !has('--console')) args.push('--console=plain')
  args.push(...options.args)
  return args
}

/**
 * What no quoting carries through the launch scripts. Debian's `gradle` runs `eval set -- ... $GRADLE_OPTS ...`:
 * the unquoted expansion splits at blanks and eval joins the pieces with one space, so a tab, a newline or a run of
 * spaces comes out as one space (and the wrapper's `xargs` refuses a newline inside quotes). The same expansion
 * globs each piece against the project dir, which the build's submitter fills: glob characters are refused too.
 */
const UNPASSABLE = /[\x00-\x1f\x7f]| {2}|[*?[]/

/** A directory that cannot be written into GRADLE_OPTS so that the launch scripts read it back the same. */
export class UnquotableTmpDirError extends Error {
  static readonly code = 'ERR_UNQUOTABLE_TMP_DIR'
  override name = 'UnquotableTmpDirError'
}

/**
 * The GRADLE_OPTS word that makes `dir` java.io.tmpdir: single-quoted, a quote in it as `'\''`, which both Debian's
 * script (`eval`) and the wrapper's (`xargs`, then `sed` escaping) read back as one argument, whatever letters it has.
 */
export function tmpDirOption (dir: string): string {
  if (UNPASSABLE.test(dir)) throw new UnquotableTmpDirError(`cannot pass ${JSON.stringify(dir)} to Gradle in GRADLE_OPTS: its launch scripts do not keep control characters, runs of spaces or *?[ as they are`)
  return `'-Djava.io.tmpdir=${dir.replaceAll("'", "'\\''")}'`
}

/**
 * The environment of a Gradle run: this process's, the caller's `env` over it, and with `tmpDir`, GRADLE_OPTS
 * (the caller's or this process's) plus `-Djava.io.tmpdir` (see `tmpDirOption`). Set on the client JVM, the
 * directory reaches the daemon too: Gradle (4.x to 8.x) counts java.io.tmpdir among the JVM's immutable system
 * properties, starts the daemon with the client's and reuses only a daemon started with the same one.
 * `org.gradle.jvmargs`, the project's or the Gradle user home's, still applies on top, which `-Dorg.gradle.jvmargs`
 * would replace; and unlike JAVA_TOOL_OPTIONS it makes no JVM print "Picked up ..." into the build's output.
 */
export function gradleEnvironment (options: Pick<GradleRunOptions, 'env' | 'tmpDir'>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base, ...options.env }
  if (options.tmpDir == null) return env
  const word = tmpDirOption(options.tmpDir)
  env.GRADLE_OPTS = [env.GRADLE_OPTS?.trim(), word].filter(part => part != null && part !== '').join(' ')
  return env
}

/** Runs one Gradle build, streaming its output through and parsing task outcomes on the way. */
export async function runGradle (options: GradleRunOptions): Promise<GradleRunResult> {
  options.signal?.throwIfAborted()
  // spawning in a missing directory fails as if the executable were missing (ENOENT): say what is missing
  await assertDirectory(options.projectDir)
  const command = options.gradleCommand ??
    (options.gradleExecutable == null ? await findGradleCommand(options.projectDir) : { executable: options.gradleExecutable, kind: 'path' })
  const env = gradleEnvironment(options)
  const initScript = options.initScript == null ? undefined : await initScriptFile(options.initScript, { keep: options.keepInitScript === true, ...(options.scratchDir == null ? {} : { parent: options.scratchDir }) })
  try {
    return await spawnGradle(commandLine(command, gradleArguments(options, initScript?.path)), env, options)
  } finally {
    await initScript?.release()
  }
}

async function spawnGradle ({ file, args }: { file: string, args: string[] }, env: NodeJS.ProcessEnv, options: GradleRunOptions): Promise<GradleRunResult> {
  // An abort during the awaits before this point fired no event this run could hear: start no Gradle at all.
  // From here to the listener below nothing awaits, so a later abort always reaches onAbort.
  options.signal?.throwIfAborted()
  const started = performance.now()
  const parser = new BuildOutputParser()
  const child = spawn(file, args, {
    cwd: options.projectDir,
    env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    // Own process group, so an abort can kill Gradle and any JVM it forked.
    detached: true
  })
  if (child.pid != null) options.onSpawn?.(child.pid)
  const stdout = options.stdout === undefined ? process.stdout : options.stdout
  const stderr = options.stderr === undefined ? process.stderr : options.stderr
  // Where the output went is gone (`gmesh gradle ... | head` after head exits: EPIPE): stop the build, as a
  // program that gets SIGPIPE would, instead of dying and leaving Gradle running.
  let outputGone = false
  const onOutputError = (): void => {
    outputGone = true
    if (!aborted) onAbort()
  }
  stdout?.on('error', onOutputError)
  stderr?.on('error', onOutputError)
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    parser.push(chunk)
    options.onOutput?.('stdout', chunk)
    if (!outputGone) stdout?.write(chunk)
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    parser.push(chunk, 'stderr')
    options.onOutput?.('stderr', chunk)
    if (!outputGone) stderr?.write(chunk)
  })
  let aborted = false
  let escalation: NodeJS.Timeout | undefined
  const onAbort = (): void => {
    aborted = true
    killTree(child, 'SIGTERM')
    escalation = setTimeout(() => { killTree(child, 'SIGKILL') }, KILL_GRACE_MS)
    escalation.unref()
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const [code, signal] = await exitOf(child)
    // Gradle may have left workers behind when it was stopped: they share its process group.
    if (aborted && child.pid != null) signalGroup(child.pid, 'SIGKILL')
    return {
      pid: child.pid,
      exitCode: code ?? 1,
      signal,
      aborted,
      summary: parser.summary(),
      durationMs: performance.now() - started,
      command: [file, ...args]
    }
  } finally {
    clearTimeout(escalation)
    options.signal?.removeEventListener('abort', onAbort)
    stdout?.off('error', onOutputError)
    stderr?.off('error', onOutputError)
  }
}

async function exitOf (child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => { resolve([code, signal]) })
  })
}

/** Signals the child's process group (it was spawned detached), falling back to the child alone. */
function killTree (child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid == null || child.exitCode != null || child.signalCode != null) return
  if (!signalGroup(child.pid, signal)) child.kill(signal)
}

/** Sends a signal to a process group; false when the group no longer exists. */
function signalGroup (pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}
