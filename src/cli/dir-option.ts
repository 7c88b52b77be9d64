import { stat } from 'node:fs/promises'
import { UsageError } from './errors.js'

/**
 * What stands at a path meant to be a directory: a directory, a file (anything else), or a path under a file
 * (ENOTDIR); undefined when nothing is there, or stat failed otherwise (reported where the path is used).
 */
export type DirCheck = 'directory' | 'file' | 'under-file' | undefined

/** Stats `dir` once and says what stands there (DirCheck), so that callers refuse a file before any mkdir. */
export async function checkDir (dir: string): Promise<DirCheck> {
  try {
    return (await stat(dir)).isDirectory() ? 'directory' : 'file'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'under-file' : undefined
  }
}

/**
 * A directory option (`--data`, `--gradle-user-home`) that names a file, or a path under one, is a usage error
 * saying so before anything is made: mkdir would fail with a bare EEXIST or ENOTDIR.
 */
export async function refuseFile (dir: string, flag: string): Promise<void> {
  const there = await checkDir(dir)
  if (there === 'under-file') throw new UsageError(`${flag} ${dir}: a directory above it is a file, not a directory; choose a directory`)
  if (there === 'file') throw new UsageError(`${flag} ${dir} is a file, not a directory; choose a directory (it is made if missing)`)
}
