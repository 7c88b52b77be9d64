import { mkdir, open, readFile, rm, writeFile, rename, chmod, link } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { DataFiles } from '../src/config/data-dir.js'
import { isAlive, processStartTime } from '../src/config/pid.js'
import { fsyncDir } from '../src/cas/layout.js'
import { DataDirLockedError, DataDirUnwritableError, CorruptDataFileError } from './errors.js'

/** Creates the data directory (0700) and proves it is writable. */
export async function prepareDataDir (dir: string): Promise<void> {
  try {
    await makeDirs(dir, 0o700)
    const probe = join(dir, `.probe-${process.pid}`)
    await writeFile(probe, '')
    await rm(probe)
  } catch (err) {
    throw new DataDirUnwritableError(dir, err)
  }
}

/**
 * Makes `dir` and its missing parents, one level at a time, each tried once. Not `mkdir(dir, { recursive: true })`:
 * where a file system answers ENOENT for a directory whose parent exists (`/proc`, `/sys`), Node's recursive mkdir
 * retries forever at 100% CPU, and the start never gets to hear a SIGTERM; here that ENOENT is the error.
 */
export async function makeDirs (dir: string, mode: number): Promise<void> {
  const missing: string[] = []
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      await mkdir(current, { mode })
      break
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') break
      if (code !== 'ENOENT' || dirname(current) === current) throw err
      missing.push(current)
    }
  }
  for (const level of missing.reverse()) {
    await mkdir(level, { mode }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err })
  }
}

/** Lock files this process holds: a second node in it (a test, an embedding) is refused, never handed the first one's lock. */
const lockedHere = new Set<string>()

/**
 * An exclusive claim on a data directory: a lock file holding the owner's pid and start time (and a token of the
 * claim), created whole (a temp file linked into place, so nobody reads it half written). A dead owner's lock is taken
 * over; a pid now used by another process (after a reboot, or a container restarted as pid 1 again) does not count as
 * the owner: a lock with this process's own pid is stale only when it records another start time. A lock this process
 * holds is never taken over. The store's own LevelDB lock stays the last word: two nodes never open one store.
 */
export class DataDirLock {
  private constructor (private readonly path: string, private readonly content: string) {}

  static async acquire (dir: string): Promise<DataDirLock> {
    const path = resolve(dir, DataFiles.lock)
    if (lockedHere.has(path)) throw new DataDirLockedError(dir, process.pid)
    lockedHere.add(path) // claimed before the first await: two claims in this process cannot both get past here
    try {
      return new DataDirLock(path, await claim(path, dir))
    } catch (err) {
      lockedHere.delete(path)
      throw err
    }
  }

  /** Removes the lock if it is still this claim's (after a takeover race it may be another's). */
  async release (): Promise<void> {
    try {
      if (await readFile(this.path, 'utf8').catch(() => undefined) === this.content) await rm(this.path, { force: true })
    } finally {
      lockedHere.delete(this.path)
    }
  }
}

/** Creates the lock file at `path`, taking a stale one over; resolves to its content. */
async function claim (path: string, dir: string): Promise<string> {
  const start = processStartTime(process.pid)
  const token = randomBytes(8).toString('hex')
  // the token makes this claim's content its own: release() never removes a lock another claim with this pid wrote
  const content = start === undefined ? `${process.pid} - ${token}\n` : `${process.pid} ${start} ${token}\n`
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createWhole(path, content, dir)) return content
    const text = await readFile(path, 'utf8').catch(() => undefined)
    if (text === undefined) continue // released meanwhile
    const owner = parseLock(text)
    if (ownerAlive(owner, start)) throw new DataDirLockedError(dir, owner.pid)
    await moveAsideIfStill(path, text)
  }
  throw new DataDirLockedError(dir, NaN)
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

/** A lock's owner: `pid [start|-] [token]` (older locks hold `pid` or `pid start`). */
function parseLock (text: string): { pid: number, start?: string } {
  const [pid, start] = text.trim().split(/\s+/)
  return start === undefined || start === '-' ? { pid: Number(pid) } : { pid: Number(pid), start }
}

/**
 * Whether the lock's owner still runs. With this process's pid (`ownStart`: its start time) the owner is alive only if
 * it started at the same tick: another process of a shared volume with the same pid (two containers, both pid 1); one
 * that started at another time is a dead one whose pid this process got. Locks this process holds never come here.
 */
function ownerAlive (owner: { pid: number, start?: string }, ownStart: string | undefined): boolean {
  if (owner.pid === process.pid) return owner.start !== undefined && owner.start === ownStart
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

/** Reads a secret file, creating it with `create()` (mode 0600, written atomically and durably) when it does not exist. */
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
  await writeDurably(path, bytes, 0o600)
  return bytes
}

/**
 * Writes a file whole and durably: a temp file, fsynced, renamed into place, then the directory fsynced. A power loss
 * leaves the old file or the new one; without the syncs, a fresh identity could come back empty after a crash (the
 * rename reached the disk before the data) and the node would refuse to start, or its peer id would change.
 */
async function writeDurably (path: string, bytes: Uint8Array, mode: number): Promise<void> {
  await writeWhole(path, bytes, mode, true)
  await fsyncDir(dirname(path))
}

/** Writes JSON atomically (temp file + rename) so readers never see half a file. */
export async function writeJsonAtomic (path: string, value: unknown, mode = 0o644): Promise<void> {
  await writeWhole(path, Buffer.from(JSON.stringify(value, null, 2) + '\n'), mode, false)
}

/** Writes `bytes` to a temp file beside `path` (fsynced when `sync`) and renames it into place; a failure leaves no temp file. */
async function writeWhole (path: string, bytes: Uint8Array, mode: number, sync: boolean): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const handle = await open(temp, 'wx', mode)
    try {
      await handle.writeFile(bytes)
      if (sync) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
