import { chmod, lstat, mkdir, readdir, rm, utimes } from 'node:fs/promises'
import path from 'node:path'
import { WorkspaceError } from './errors.js'

const JOB_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/

export interface WorkspacesOptions {
  /** Directory holding one workspace per job, e.g. `<data>/workspaces`; created by start(). */
  root: string
  /** Clock in milliseconds since the epoch (default Date.now). */
  now?: () => number
}

/**
 * Per-job workspaces under one root: `create(jobId)` makes a fresh empty directory to materialise a snapshot
 * into, `remove(jobId)` deletes it, `cleanupStale(maxAgeMs)` deletes what crashed or forgotten jobs left behind.
 * A workspace's age is its directory's modification time; `touch(jobId)` renews it for a long job.
 */
export class Workspaces {
  readonly root: string
  private readonly now: () => number
  /** Workspaces created by this process and not removed: never taken by cleanupStale. */
  private readonly active = new Set<string>()

  constructor (options: WorkspacesOptions) {
    this.root = options.root
    this.now = options.now ?? Date.now
  }

  async start (): Promise<void> {
    await mkdir(this.root, { recursive: true })
  }

  /** The workspace directory of `jobId` (whether or not it exists). */
  pathOf (jobId: string): string {
    if (!JOB_ID_PATTERN.test(jobId)) throw new WorkspaceError(`invalid job id ${JSON.stringify(jobId.slice(0, 140))}: expected 1 to 128 of A-Z a-z 0-9 . _ -, not starting with "."`)
    return path.join(this.root, jobId)
  }

  /** Makes the empty workspace of `jobId`; fails with WorkspaceError if it exists already. */
  async create (jobId: string): Promise<string> {
    const dir = this.pathOf(jobId)
    try {
      await mkdir(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new WorkspaceError(`the workspace of job ${jobId} exists already: ${dir}`)
      throw err
    }
    this.active.add(jobId)
    return dir
  }

  /** Marks the workspace as in use now, so cleanupStale in another process leaves it alone a while longer. */
  async touch (jobId: string): Promise<void> {
    const at = new Date(this.now())
    await utimes(this.pathOf(jobId), at, at)
  }

  /** Deletes the workspace of `jobId` and everything in it; resolves whether it existed. */
  async remove (jobId: string): Promise<boolean> {
    const dir = this.pathOf(jobId)
    this.active.delete(jobId)
    const existed = await lstat(dir).then(() => true, () => false)
    await removeTree(dir)
    return existed
  }

  /**
   * Deletes workspaces not active in this process whose directory is older than `maxAgeMs`; returns their job ids.
   * One that cannot be deleted is left (and named in `failed`): it must not stop a node from starting.
   */
  async cleanupStale (maxAgeMs: number, failed: (jobId: string, err: unknown) => void = () => {}): Promise<string[]> {
    const cutoff = this.now() - maxAgeMs
    const removed: string[] = []
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !JOB_ID_PATTERN.test(entry.name) || this.active.has(entry.name)) continue
      const dir = path.join(this.root, entry.name)
      const stats = await lstat(dir).catch(() => undefined)
      if (stats === undefined || stats.mtimeMs > cutoff) continue
      try {
        await removeTree(dir)
        removed.push(entry.name)
      } catch (err) {
        failed(entry.name, err)
      }
    }
    return removed.sort()
  }
}

/**
 * Deletes a workspace tree. A build may leave directories without write permission (an unpacked archive, a
 * module cache): their entries cannot be unlinked until the directory is writable again, so on EACCES or
 * EPERM every directory of the tree is made writable by its owner and the removal tried once more.
 */
async function removeTree (dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM') throw err
    await makeWritable(dir)
    await rm(dir, { recursive: true, force: true })
  }
}

async function makeWritable (dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => {})
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await makeWritable(path.join(dir, entry.name))
  }
}
