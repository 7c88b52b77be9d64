import { stat } from 'node:fs/promises'
import { UsageError } from './errors.js'

/**
 * A directory option (`--data`, `--gradle-user-home`) that names a file, or a path under one, is a usage error
 * saying so before anything is made: mkdir would fail with a bare EEXIST or ENOTDIR.
 */
export async function refuseFile (dir: string, flag: string): Promise<void> {
  let isDirectory: boolean
  try {
    isDirectory = (await stat(dir)).isDirectory()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') return // missing: made later; other errors: reported where they happen
    throw new UsageError(`${flag} ${dir}: a directory above it is a file, not a directory; choose a directory`)
  }
  if (!isDirectory) throw new UsageError(`${flag} ${dir} is a file, not a directory; choose a directory (it is made if missing)`)
}
