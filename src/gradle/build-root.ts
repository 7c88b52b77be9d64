/**
 * Where a Gradle build is, seen from a directory inside it: Gradle (4.4 to 8.x) looks for the settings file in
 * the directory it runs in and then in each directory above it; the first with `settings.gradle` or
 * `settings.gradle.kts` is the build's root. Without one, the directory is a build of its own.
 */
import { stat } from 'node:fs/promises'
import path from 'node:path'

/** The directory a build should run in is missing, not a directory, or holds no Gradle project. */
export class ProjectDirError extends Error {
  static readonly code = 'ERR_PROJECT_DIR'
  override name = 'ProjectDirError'
  constructor (readonly projectDir: string, why: string) {
    super(`no Gradle project at ${projectDir}: ${why}`)
  }
}

const SETTINGS_FILES = ['settings.gradle.kts', 'settings.gradle']
const BUILD_FILES = ['build.gradle.kts', 'build.gradle']
/** What a Gradle build's root holds one of (a single-project build may have only a build script). */
export const ROOT_BUILD_FILES: readonly string[] = [...SETTINGS_FILES, ...BUILD_FILES]

export interface GradleProjectLocation {
  /** The directory the build runs in, as given (absolute): the project whose tasks a name like `build` selects. */
  projectDir: string
  /** The build's root: the first directory from `projectDir` up with a settings file, else `projectDir` itself. */
  buildRoot: string
}

async function exists (file: string): Promise<boolean> {
  return await stat(file).then(() => true, () => false)
}

async function hasAny (dir: string, names: readonly string[]): Promise<boolean> {
  for (const name of names) if (await exists(path.join(dir, name))) return true
  return false
}

/**
 * The directories Gradle searches for the settings file, from `dir` up: up to and including the first with a
 * settings file, or up to the file system's root when none has one.
 */
export async function directoriesUpToBuildRoot (dir: string): Promise<{ dirs: string[], settingsFound: boolean }> {
  const dirs: string[] = []
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    dirs.push(current)
    if (await hasAny(current, SETTINGS_FILES)) return { dirs, settingsFound: true }
    if (path.dirname(current) === current) return { dirs, settingsFound: false }
  }
}

/** Throws {@link ProjectDirError}, naming `dir` as given, when it is missing or not a directory. */
export async function assertDirectory (dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined)
  if (info === undefined) throw new ProjectDirError(dir, 'it does not exist')
  if (!info.isDirectory()) throw new ProjectDirError(dir, 'it is not a directory')
}

/**
 * Where the build of `dir` is; throws {@link ProjectDirError} when `dir` is missing, not a directory, or has no
 * settings or build file in it or above it (Gradle would take an empty folder for a project with no tasks but its own).
 */
export async function locateGradleProject (dir: string): Promise<GradleProjectLocation> {
  const projectDir = path.resolve(dir)
  await assertDirectory(projectDir)
  const { dirs, settingsFound } = await directoriesUpToBuildRoot(projectDir)
  if (settingsFound) return { projectDir, buildRoot: dirs[dirs.length - 1]! }
  for (const candidate of dirs) {
    if (await hasAny(candidate, BUILD_FILES)) return { projectDir, buildRoot: projectDir }
  }
  throw new ProjectDirError(projectDir, 'no settings.gradle(.kts) or build.gradle(.kts) in it or in a directory above it')
}
