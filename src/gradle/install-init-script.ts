import { readFile, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import { chooseDir } from '../config/dir-choice.js'
import { writeFileAtomically } from './atomic-write.js'
import { INIT_SCRIPT_FILE_NAME, INIT_SCRIPT_MARKER, normalizeCacheUrl } from './init-script.js'

/** The init.d file exists but was not written by gmesh; it is left alone. */
export class ForeignInitScriptError extends Error {
  static readonly code = 'ERR_FOREIGN_INIT_SCRIPT'
  override name = 'ForeignInitScriptError'
}

/**
 * Gradle's user home: `--gradle-user-home`, else `$GRADLE_USER_HOME`, else `~/.gradle`. An empty flag, or an empty
 * `$GRADLE_USER_HOME` without the flag, is a usage error (chooseDir): never silently `~/.gradle`.
 */
export function resolveGradleUserHome (option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return chooseDir({ option, flag: '--gradle-user-home', envName: 'GRADLE_USER_HOME', env, fallback: () => path.join(homedir(), '.gradle') })
}

/** Where `gmesh init-gradle` puts its script in a Gradle user home. */
export function installedScriptPath (gradleUserHome: string): string {
  return path.join(gradleUserHome, 'init.d', INIT_SCRIPT_FILE_NAME)
}

async function readIfPresent (file: string): Promise<string | undefined> {
  return await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
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
  const file = installedScriptPath(gradleUserHome)
  const existing = await readIfPresent(file)
  if (existing === script) return { file, changed: false }
  if (existing != null && !existing.startsWith(INIT_SCRIPT_MARKER) && !force) {
    throw new ForeignInitScriptError(
      `${file} exists and was not written by gmesh; move it away or pass --force to replace it`
    )
  }
  await writeFileAtomically(file, script, 0o644)
  return { file, changed: true }
}

/**
 * Deletes the script `gmesh init-gradle` wrote; false when there is none. A file there that gmesh did not
 * write is kept and reported ({@link ForeignInitScriptError}).
 */
export async function removeInitScript (gradleUserHome: string): Promise<{ file: string, removed: boolean }> {
  const file = installedScriptPath(gradleUserHome)
  const existing = await readIfPresent(file)
  if (existing == null) return { file, removed: false }
  if (!existing.startsWith(INIT_SCRIPT_MARKER)) {
    throw new ForeignInitScriptError(`${file} was not written by gmesh; it is left in place`)
  }
  await unlink(file)
  return { file, removed: true }
}

export interface InstalledScript {
  file: string
  /** The cache URL the script points Gradle at. */
  cacheUrl: string
  /** Whether that is the given node's cache. */
  current: boolean
  /** Installed with `--read-only`: builds read the cache and push nothing. */
  readOnly: boolean
}

/**
 * The script `gmesh init-gradle` installed in `gradleUserHome` and whether it points at `nodeCacheUrl`; undefined
 * when there is none (or the file there is not gmesh's). A node started on another port (`--http :0`, another
 * data dir) leaves the script pointing at a cache nobody serves: Gradle then builds without a remote cache.
 */
export async function installedScriptFor (gradleUserHome: string, nodeCacheUrl: string): Promise<InstalledScript | undefined> {
  const file = installedScriptPath(gradleUserHome)
  const text = await readIfPresent(file).catch(() => undefined)
  if (text == null || !text.startsWith(INIT_SCRIPT_MARKER)) return undefined
  const literal = /^def gmeshCacheUrl = '((?:[^'\\]|\\.)*)'$/m.exec(text)?.[1]
  if (literal == null) return undefined
  const cacheUrl = literal.replace(/\\(.)/g, '$1')
  const readOnly = /^\s*cache\.push = false$/m.test(text)
  return { file, cacheUrl, current: sameUrl(cacheUrl, nodeCacheUrl), readOnly }
}

function sameUrl (a: string, b: string): boolean {
  try {
    return normalizeCacheUrl(a) === normalizeCacheUrl(b)
  } catch {
    return a === b
  }
}
