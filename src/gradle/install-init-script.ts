import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import { INIT_SCRIPT_FILE_NAME, INIT_SCRIPT_MARKER } from './init-script.js'

/** The init.d file exists but was not written by gmesh; it is left alone. */
export class ForeignInitScriptError extends Error {
  static readonly code = 'ERR_FOREIGN_INIT_SCRIPT'
  override name = 'ForeignInitScriptError'
}

/** Gradle's user home: the given directory, else `$GRADLE_USER_HOME`, else `~/.gradle`. */
export function resolveGradleUserHome (option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option != null && option !== '') return path.resolve(option)
  const fromEnv = env.GRADLE_USER_HOME
  if (fromEnv != null && fromEnv !== '') return path.resolve(fromEnv)
  return path.join(homedir(), '.gradle')
}

export interface InstallResult {
  /** Where the script now is. */
  file: string
  /** False when the same text was already there. */
  changed: boolean
}

/**
 * Writes `script` to `<gradleUserHome>/init.d/gmesh.gradle`, which Gradle runs before every build.
 * The write is atomic (temp file + rename). A file there that gmesh did not write is kept and
 * reported, unless `force` is set.
 */
export async function installInitScript (gradleUserHome: string, script: string, force = false): Promise<InstallResult> {
  const dir = path.join(gradleUserHome, 'init.d')
  const file = path.join(dir, INIT_SCRIPT_FILE_NAME)
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (existing === script) return { file, changed: false }
  if (existing != null && !existing.startsWith(INIT_SCRIPT_MARKER) && !force) {
    throw new ForeignInitScriptError(
      `${file} exists and was not written by gmesh; move it away or pass --force to replace it`
    )
  }
  await mkdir(dir, { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  try {
    await writeFile(temp, script, { mode: 0o644 })
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  return { file, changed: true }
}
