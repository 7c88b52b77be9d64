import { access, constants, stat } from 'node:fs/promises'
import path from 'node:path'

/** Neither `./gradlew` in the project nor `gradle` on PATH was found. */
export class GradleNotFoundError extends Error {
  static readonly code = 'ERR_GRADLE_NOT_FOUND'
  override name = 'GradleNotFoundError'
}

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
 * The Gradle command for a project: its `./gradlew` if present and executable, else `gradle`
 * on `searchPath` (default: this process's PATH).
 */
export async function findGradleCommand (projectDir: string, searchPath = process.env.PATH): Promise<GradleCommand> {
  const wrapper = path.resolve(projectDir, 'gradlew')
  if (await isExecutableFile(wrapper)) return { executable: wrapper, kind: 'wrapper' }
  const onPath = await whichExecutable('gradle', searchPath)
  if (onPath != null) return { executable: onPath, kind: 'path' }
  throw new GradleNotFoundError(
    `no Gradle found: ${projectDir} has no executable ./gradlew and there is no 'gradle' on PATH; ` +
    'add the Gradle wrapper to the project or install Gradle'
  )
}
