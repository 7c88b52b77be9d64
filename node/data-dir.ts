import { mkdir, open, readFile, rm, writeFile, rename, chmod } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DataFiles } from '../src/config/data-dir.js'
import { isAlive } from '../src/config/pid.js'
import { DataDirLockedError, DataDirUnwritableError, CorruptDataFileError } from './errors.js'

/** Creates the data directory (0700) and proves it is writable. */
export async function prepareDataDir (dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const probe = join(dir, `.probe-${process.pid}`)
    await writeFile(probe, '')
    await rm(probe)
  } catch (err) {
    throw new DataDirUnwritableError(dir, err)
  }
}

/** An exclusive claim on a data directory: a lock file holding the owner's pid; a dead owner's lock is taken over. */
export class DataDirLock {
  private constructor (private readonly path: string) {}

  static async acquire (dir: string): Promise<DataDirLock> {
    const path = join(dir, DataFiles.lock)
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(path, 'wx', 0o600)
        await handle.writeFile(`${process.pid}\n`)
        await handle.close()
        return new DataDirLock(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirUnwritableError(dir, err)
      }
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (isAlive(owner) && owner !== process.pid) throw new DataDirLockedError(dir, owner)
      await rm(path, { force: true })
    }
    throw new DataDirLockedError(dir, NaN)
  }

  async release (): Promise<void> {
    await rm(this.path, { force: true })
  }
}

/** Reads a secret file, creating it with `create()` (mode 0600, written atomically) when it does not exist. */
export async function loadOrCreateSecret (path: string, create: () => Uint8Array, what: string,
  valid: (bytes: Uint8Array) => boolean): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path)
    if (!valid(bytes)) throw new CorruptDataFileError(path, what)
    await chmod(path, 0o600)
    return bytes
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const bytes = create()
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, bytes, { mode: 0o600 })
  await rename(temp, path)
  return bytes
}

/** Writes JSON atomically (temp file + rename) so readers never see half a file. */
export async function writeJsonAtomic (path: string, value: unknown, mode = 0o644): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, JSON.stringify(value, null, 2) + '\n', { mode })
  await rename(temp, path)
}
