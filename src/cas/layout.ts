import { randomBytes } from 'node:crypto'
import { closeSync, openSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fsyncFd } from './fs-calls.js'
import { join } from 'node:path'

/** Lowercase hex SHA-256: the name of a blob on disk. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/

/**
 * Where the store keeps things under its directory:
 * `blobs/<sha[0..2]>/<sha>`, `tmp/` (files being written), `quarantine/` (blobs that failed verification, kept
 * within limits: quarantine.ts), `index/` (LevelDB).
 */
export class StoreLayout {
  readonly root: string
  readonly blobsDir: string
  readonly tmpDir: string
  readonly quarantineDir: string
  readonly indexDir: string
  /** Temp names: random per store instance, then a counter (one random draw per PUT cost 5% of a PUT's CPU). */
  private readonly tempPrefix = randomBytes(8).toString('hex')
  private tempCount = 0

  constructor (root: string) {
    this.root = root
    this.blobsDir = join(root, 'blobs')
    this.tmpDir = join(root, 'tmp')
    this.quarantineDir = join(root, 'quarantine')
    this.indexDir = join(root, 'index')
  }

  async create (): Promise<void> {
    for (const dir of [this.blobsDir, this.tmpDir, this.quarantineDir, this.indexDir]) {
      await mkdir(dir, { recursive: true })
    }
  }

  shardDir (sha256: string): string {
    return join(this.blobsDir, sha256.slice(0, 2))
  }

  blobPath (sha256: string): string {
    return join(this.blobsDir, sha256.slice(0, 2), sha256)
  }

  newTempPath (): string {
    return join(this.tmpDir, `${this.tempPrefix}-${(this.tempCount++).toString(36)}.tmp`)
  }

  quarantinePath (sha256: string, now: number): string {
    return join(this.quarantineDir, `${sha256}.${now}`)
  }
}

/** fsyncs a directory so a rename into it survives power loss; a no-op where directories cannot be opened. */
export async function fsyncDir (dir: string): Promise<void> {
  let fd: number
  try {
    fd = openSync(dir, 'r')
  } catch {
    return
  }
  try {
    await fsyncFd(fd)
  } catch {
    // some filesystems refuse fsync on directories: the rename is still atomic
  } finally {
    closeSync(fd)
  }
}
