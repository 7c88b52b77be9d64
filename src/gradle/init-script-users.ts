/**
 * Who uses a kept init script (`<hash>.gradle` in the private dir): each run notes itself in a file of its own,
 * `<hash>.<pid>.<random>.run`, while its build runs; the last run to end removes the script, so scripts do not pile up
 * in the temp dir, one per node URL. Runs of one script add and remove themselves under its lock (`<hash>.lock`, made
 * with O_EXCL, holding the pid), so a run ending never removes the script from under one that starts. A run that died
 * (SIGKILL) leaves its note, which counts no more once its pid is gone; a lock left by one is taken over (two runs
 * taking over the same dead lock at once is not guarded against: it needs a crash in the few milliseconds a lock is
 * held).
 */
import { randomBytes } from 'node:crypto'
import { openSync, closeSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { isAlive } from '../config/pid.js'

/** How long a run waits for another's lock before it does without the kept script (or leaves it in place). */
const LOCK_WAIT_MS = 5000
/**
 * A lock is held for milliseconds: one older than this was left behind (its holder died, maybe before it wrote its
 * pid, or its pid now names another process) and is taken over, so no later run waits on it forever.
 */
const LOCK_STALE_MS = 3000

export interface ScriptUse {
  /** Ends this run's use; removes the script when no other live run uses it. */
  release: () => Promise<void>
}

/**
 * Notes a run as a user of `<dir>/<hash>.gradle` and calls `prepare` (which writes the script) under the lock;
 * undefined when the lock stayed taken (the caller then uses a one-run script instead).
 */
export async function useScript (dir: string, hash: string, prepare: () => Promise<void>): Promise<ScriptUse | undefined> {
  const note = path.join(dir, `${hash}.${process.pid}.${randomBytes(6).toString('hex')}.run`)
  const locked = await withLock(dir, hash, async () => {
    await writeFile(note, '', { flag: 'wx', mode: 0o600 })
    await prepare().catch(async (err: unknown) => { await rm(note, { force: true }); throw err })
  })
  if (!locked) return undefined
  const use = { dir, hash, note }
  openUses.add(use)
  if (openUses.size === 1) process.on('exit', releaseAllSync)
  return {
    release: async () => {
      openUses.delete(use)
      if (openUses.size === 0) process.off('exit', releaseAllSync)
      const done = await withLock(dir, hash, async () => {
        await rm(note, { force: true })
        if (liveUsers(dir, hash, await readdir(dir))) return
        await rm(path.join(dir, `${hash}.gradle`), { force: true })
      })
      if (!done) await rm(note, { force: true })
    }
  }
}

/**
 * Whether a live run other than the ones that ended uses the script; the notes of runs that died are deleted (best
 * effort; under the lock, so no run is adding itself meanwhile).
 */
function liveUsers (dir: string, hash: string, names: string[]): boolean {
  let live = false
  for (const name of names) {
    const match = /^([0-9a-f]+)\.(\d+)\.[0-9a-f]+\.run$/.exec(name)
    if (match?.[1] !== hash) continue
    if (isAlive(Number(match[2]))) live = true
    else rmSync(path.join(dir, name), { force: true })
  }
  return live
}

/** Runs `fn` holding `<hash>.lock`; false (and `fn` not run) when another run held it for {@link LOCK_WAIT_MS}. */
async function withLock (dir: string, hash: string, fn: () => Promise<void>): Promise<boolean> {
  const lock = path.join(dir, `${hash}.lock`)
  const deadline = Date.now() + LOCK_WAIT_MS
  while (!await takeLock(lock)) {
    if (Date.now() > deadline) return false
    await delay(5) // held for milliseconds: a file lock offers nothing to await
  }
  try {
    await fn()
    return true
  } finally {
    await rm(lock, { force: true })
  }
}

async function takeLock (lock: string): Promise<boolean> {
  try {
    await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // empty: its holder is between creating and writing it, unless the lock is stale
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''))
    const since = (await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now()
    if ((holder > 0 && !isAlive(holder)) || Date.now() - since > LOCK_STALE_MS) await rm(lock, { force: true })
    return false
  }
}

/** The uses of this process not released yet: a forced exit (a second Ctrl-C) runs no finally, and ends them. */
const openUses = new Set<{ dir: string, hash: string, note: string }>()

function releaseAllSync (): void {
  for (const { dir, hash, note } of openUses) releaseSync(dir, hash, note)
}

/** {@link useScript}'s release, synchronous, for an exiting process: it leaves the script when the lock is taken. */
function releaseSync (dir: string, hash: string, note: string): void {
  try {
    rmSync(note, { force: true })
    const lock = path.join(dir, `${hash}.lock`)
    const fd = openSync(lock, 'wx', 0o600)
    try {
      writeSync(fd, String(process.pid))
      closeSync(fd)
      if (!liveUsers(dir, hash, readdirSync(dir))) rmSync(path.join(dir, `${hash}.gradle`), { force: true })
    } finally {
      rmSync(lock, { force: true })
    }
  } catch { /* exiting: what is left is removed by the next run of this script that ends */ }
}
