import { access, constants, open, stat } from 'node:fs/promises'
import path from 'node:path'
import { directoriesUpToBuildRoot } from './build-root.js'

/** Neither `./gradlew` in the project nor `gradle` on PATH was found. */
export class GradleNotFoundError extends Error {
  static readonly code = 'ERR_GRADLE_NOT_FOUND'
  override name = 'GradleNotFoundError'
}

/** The project's gradlew can be neither executed nor read (so no interpreter can run it either). */
export class UnrunnableWrapperError extends Error {
  static readonly code = 'ERR_UNRUNNABLE_WRAPPER'
  override name = 'UnrunnableWrapperError'
}

export { ProjectDirError } from './build-root.js'

export interface GradleCommand {
  /** Absolute path of the Gradle to run: the wrapper script or `gradle` on PATH. */
  executable: string
  /** Where it came from: the project's wrapper or the PATH. */
  kind: 'wrapper' | 'path'
  /**
   * A wrapper without its executable bit (lost in a zip, a checkout with core.fileMode off) is run by the
   * interpreter its `#!` line names, else `/bin/sh`: e.g. `['/usr/bin/env', 'sh']`.
   */
  interpreter?: string[]
}

/** What to spawn for `command`, with which arguments, to run Gradle with `args`. */
export function commandLine (command: GradleCommand, args: readonly string[]): { file: string, args: string[] } {
  if (command.interpreter == null) return { file: command.executable, args: [...args] }
  const [file, ...interpreterArgs] = command.interpreter
  return { file: file!, args: [...interpreterArgs, command.executable, ...args] }
}

/**
 * One line for the user saying which Gradle runs: the wrapper (relative to `cwd` when under it) and how, or
 * the PATH's gradle and that `projectDir` has no wrapper.
 */
export function describeGradleCommand (command: GradleCommand, projectDir: string, cwd = process.cwd()): string {
  if (command.kind === 'path') return `running ${command.executable} (no gradlew for the build at ${projectDir})`
  const relative = path.relative(cwd, command.executable)
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? command.executable : `.${path.sep}${relative}`
  if (command.interpreter == null) return `running ${shown}`
  return `running ${[...command.interpreter, shown].join(' ')} (${shown} is not executable)`
}

async function isExecutableFile (file: string): Promise<boolean> {
  try {
    const info = await stat(file)
    if (!info.isFile()) return false
    await access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Searches the directories of a PATH-style string for an executable named `name`. */
export async function whichExecutable (name: string, searchPath: string | undefined): Promise<string | undefined> {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue
    const candidate = path.resolve(dir, name)
    if (await isExecutableFile(candidate)) return candidate
  }
  return undefined
}

/**
 * The Gradle command for a project: its wrapper (`gradlew` in `projectDir` or a directory above it, up to the
 * build's root, the first with a settings file) if present, run directly or, without its executable bit, by
 * its interpreter; else `gradle` on `searchPath` (default: this process's PATH).
 */
export async function findGradleCommand (projectDir: string, searchPath = process.env.PATH): Promise<GradleCommand> {
  const wrapper = await findWrapper(path.resolve(projectDir))
  if (wrapper !== undefined) {
    if (await isExecutableFile(wrapper)) return { executable: wrapper, kind: 'wrapper' }
    return { executable: wrapper, kind: 'wrapper', interpreter: await interpreterOf(wrapper) }
  }
  const onPath = await whichExecutable('gradle', searchPath)
  if (onPath != null) return { executable: onPath, kind: 'path' }
  throw new GradleNotFoundError(
    `no Gradle found: ${projectDir} has no ./gradlew and there is no 'gradle' on PATH; ` +
    'add the Gradle wrapper to the project or install Gradle'
  )
}

/** `gradlew` in `dir` or above, not past the build's root directory (see `directoriesUpToBuildRoot`). */
async function findWrapper (dir: string): Promise<string | undefined> {
  for (const current of (await directoriesUpToBuildRoot(dir)).dirs) {
    const wrapper = path.join(current, 'gradlew')
    if (await stat(wrapper).then(info => info.isFile(), () => false)) return wrapper
  }
  return undefined
}

/** The interpreter `script`'s `#!` line names (with its one optional argument, as Linux reads it), else /bin/sh. */
async function interpreterOf (script: string): Promise<string[]> {
  let head: string
  try {
    const file = await open(script, 'r')
    try {
      const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(256) })
      head = buffer.subarray(0, bytesRead).toString('utf8')
    } finally {
      await file.close()
    }
  } catch (err) {
    throw new UnrunnableWrapperError(`cannot run ${script}: it is not executable and cannot be read ` +
      `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its permissions: chmod 755 ${script}`)
  }
  const line = head.startsWith('#!') ? head.slice(2).split('\n')[0]!.trim() : ''
  const match = /^(\S+)(?:\s+(.*\S))?/.exec(line)
  const interpreter = match == null ? ['/bin/sh'] : [match[1]!, ...(match[2] == null ? [] : [match[2]])]
  if (!await isExecutableFile(interpreter[0]!)) {
    throw new UnrunnableWrapperError(`cannot run ${script}: it is not executable and its interpreter ` +
      `${interpreter[0]!} is missing; fix its first line (#!/bin/sh)`)
  }
  return interpreter
}

/** The directory Gradle's own `-p DIR` / `--project-dir DIR` names among `args`, resolved from `cwd`, if any. */
export function projectDirArgument (args: readonly string[], cwd: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if ((arg === '-p' || arg === '--project-dir') && args[i + 1] !== undefined) return path.resolve(cwd, args[i + 1]!)
    if (arg.startsWith('--project-dir=')) return path.resolve(cwd, arg.slice('--project-dir='.length))
  }
  return undefined
}
