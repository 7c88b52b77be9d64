import { access, constants, stat } from 'node:fs/promises'
import path from 'node:path'
import { directoriesUpToBuildRoot } from './build-root.js'

/** Neither `./gradlew` in the project nor `gradle` on PATH was found. */
export class GradleNotFoundError extends Error {
  static readonly code = 'ERR_GRADLE_NOT_FOUND'
  override name = 'GradleNotFoundError'
}

export { ProjectDirError } from './build-root.js'

export interface GradleCommand {
  /** Absolute path of the executable to spawn. */
  executable: string
  /** Where it came from: the project's wrapper or the PATH. */
  kind: 'wrapper' | 'path'
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
 * build's root, the first with a settings file) if present and executable, else `gradle` on `searchPath`
 * (default: this process's PATH).
 */
export async function findGradleCommand (projectDir: string, searchPath = process.env.PATH): Promise<GradleCommand> {
  const wrapper = await findWrapper(path.resolve(projectDir))
  if (wrapper !== undefined) return { executable: wrapper, kind: 'wrapper' }
  const onPath = await whichExecutable('gradle', searchPath)
  if (onPath != null) return { executable: onPath, kind: 'path' }
  throw new GradleNotFoundError(
    `no Gradle found: ${projectDir} has no executable ./gradlew and there is no 'gradle' on PATH; ` +
    'add the Gradle wrapper to the project or install Gradle'
  )
}

/** `gradlew` in `dir` or above, not past the build's root directory (see `directoriesUpToBuildRoot`). */
async function findWrapper (dir: string): Promise<string | undefined> {
  for (const current of (await directoriesUpToBuildRoot(dir)).dirs) {
    const wrapper = path.join(current, 'gradlew')
    if (await isExecutableFile(wrapper)) return wrapper
  }
  return undefined
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
