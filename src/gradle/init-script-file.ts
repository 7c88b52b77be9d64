/**
 * Where a build's init script is written. Gradle's configuration cache (Gradle 6.6+) fingerprints the init scripts
 * of a build by path and content: a script at a new temp path each run made every `gmesh gradle` build miss it
 * and configure from scratch. A script for such builds is therefore written at a path named by its content, in a
 * directory only this user can write (another user's file there would run as this user's build), and removed
 * when the last run using it ends (init-script-users.ts): the next run writes the same bytes at the same path,
 * which is all the fingerprint checks. Scripts of one-off runs (a task-graph probe, a unit in a fresh workspace)
 * go to a one-run temp dir, removed when the run ends.
 */
import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { useScript } from './init-script-users.js'

export interface InitScriptFile {
  path: string
  /** Removes what only this run used (a kept script once no other run uses it). */
  release: () => Promise<void>
}

/**
 * The init script with `content` under `parent` (default: the system temp dir). Kept: `gmesh-init-<uid>/<hash>.gradle`,
 * shared by the runs of the same script at once and removed by the release of the last, as long as that directory
 * and its parent are safe from other users; else, or unless `keep`, in a one-run temp dir removed by `release`.
 */
export async function initScriptFile (content: string, options: { keep: boolean, parent?: string }): Promise<InitScriptFile> {
  const parent = options.parent ?? tmpdir()
  const dir = path.join(parent, `gmesh-init-${process.getuid?.() ?? 'user'}`)
  if (options.keep && await safeParent(parent) && await privateDir(dir)) {
    const hash = createHash('sha256').update(content).digest('hex').slice(0, 32)
    const file = path.join(dir, `${hash}.gradle`)
    // a lock, note or script that cannot be written (a full disk, a read-only dir) costs the kept path, not the build
    const use = await useScript(dir, hash, async () => {
      if (await readFile(file, 'utf8').catch(() => undefined) !== content) await writeAtomically(file, content)
    }).catch(() => undefined)
    if (use != null) return { path: file, release: use.release }
  }
  const oneRun = await mkdtemp(path.join(parent, 'gmesh-init-'))
  const file = path.join(oneRun, 'gmesh.gradle')
  await writeFile(file, content, { mode: 0o600 })
  return { path: file, release: async () => { await rm(oneRun, { recursive: true, force: true }) } }
}

/**
 * Another user may not rename or replace entries of `parent`: it belongs to this user or root, and others cannot
 * write it, or it is sticky (/tmp). Otherwise the private dir could be swapped for theirs after it is checked.
 */
async function safeParent (parent: string): Promise<boolean> {
  const stat = await lstat(parent).catch(() => undefined)
  if (stat == null || !stat.isDirectory()) return false
  const uid = process.getuid?.()
  if (uid !== undefined && stat.uid !== uid && stat.uid !== 0) return false
  return (stat.mode & 0o1000) !== 0 || (stat.mode & 0o022) === 0
}

/** Creates `dir` (0700) if missing; true when it is a real directory of this user that nobody else can write. */
async function privateDir (dir: string): Promise<boolean> {
  await mkdir(dir, { mode: 0o700 }).catch(() => {})
  const stat = await lstat(dir).catch(() => undefined)
  if (stat == null || !stat.isDirectory()) return false
  const uid = process.getuid?.()
  return (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0
}

/** A concurrent run writing the same script renames the same bytes over it: readers never see half a file. */
async function writeAtomically (file: string, content: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temp, content, { mode: 0o600 })
    await rename(temp, file)
  } finally {
    await rm(temp, { force: true })
  }
}
