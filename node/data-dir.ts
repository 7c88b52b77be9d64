import { mkdir, readFile, rm, writeFile, rename, chmod, link } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DataFiles } from '../src/config/data-dir.js'
import { isAlive, processStartTime } from '../src/config/pid.js'
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

/**
 * An exclusive claim on a data directory: a lock file holding the owner's pid and start time, created whole
 * (a temp file linked into place, so nobody reads it half written). A dead owner's lock is taken over; a pid
 * now used by another process (after a reboot, say) does not count as the owner. The store's own LevelDB
 * lock stays the last word: two nodes never open one store.
 */
export class DataDirLock {
  private constructor (private readonly path: string, private readonly content: string) {}

  static async acquire (dir: string): Promise<DataDirLock> {
    const path = join(dir, DataFiles.lock)
    const start = processStartTime(process.pid)
    const content = start === undefined ? `${process.pid}\n` : `${process.pid} ${start}\n`
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createWhole(path, content, dir)) return new DataDirLock(path, content)
      const text = await readFile(path, 'utf8').catch(() => undefined)
      if (text === undefined) continue // released meanwhile
      const owner = parseLock(text)
      if (owner.pid !== process.pid && ownerAlive(owner)) throw new DataDirLockedError(dir, owner.pid)
      await moveAsideIfStill(path, text)
    }
    throw new DataDirLockedError(dir, NaN)
  }

  /** Removes the lock if it is still this node's (after a takeover race it may be another's). */
  async release (): Promise<void> {
    if (await readFile(this.path, 'utf8').catch(() => undefined) === this.content) await rm(this.path, { force: true })
  }
}

/** Creates `path` with all of `content` at once, or resolves false if it exists. */
async function createWhole (path: string, content: string, dir: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, content, { mode: 0o600, flag: 'wx' })
    await link(temp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new DataDirUnwritableError(dir, err)
  } finally {
    await rm(temp, { force: true })
  }
}

function parseLock (text: string): { pid: number, start?: string } {
  const [pid, start] = text.trim().split(/\s+/)
  return start === undefined ? { pid: Number(pid) } : { pid: Number(pid), start }
}

function ownerAlive (owner: { pid: number, start?: string }): boolean {
  if (!isAlive(owner.pid)) return false
  const start = owner.start === undefined ? undefined : processStartTime(owner.pid)
  return start === undefined || start === owner.start
}

/**
 * Takes a dead owner's lock (`staleText`) away: renamed aside in one step, then checked. If what moved is a
 * fresh lock another node created meanwhile, it goes back in place.
 */
async function moveAsideIfStill (path: string, staleText: string): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`
  try {
    await rename(path, aside)
  } catch {
    return // gone already: another node took it over or released it
  }
  if (await readFile(aside, 'utf8').catch(() => staleText) !== staleText) await link(aside, path).catch(() => {})
  await rm(aside, { force: true })
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
