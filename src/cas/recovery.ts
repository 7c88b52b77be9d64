import { readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { IndexDb, IndexOp } from './index-db.js'
import { SHA256_PATTERN, type StoreLayout } from './layout.js'
import type { EntryMeta } from './types.js'

/** What start-up recovery collected. */
export interface RecoveryReport {
  /** Leftover temp files of writes that never finished. */
  tempFilesRemoved: number
  /** Blobs no index entry referred to. */
  orphanBlobsRemoved: number
  /** Index entries dropped: blob missing, blob of the wrong size, or a malformed record. */
  entriesDropped: number
  /** Blobs whose size contradicted the index, moved to quarantine/. */
  blobsQuarantined: number
}

const STAT_BATCH = 64

/**
 * Brings the directory and the index back to a consistent state after any stop, clean or not:
 * removes temp files, drops entries whose blob is missing or has the wrong size, deletes orphan blobs.
 * Returns the entries that survive.
 */
export async function recover (layout: StoreLayout, index: IndexDb, now: number): Promise<{ entries: EntryMeta[], report: RecoveryReport }> {
  const report: RecoveryReport = { tempFilesRemoved: 0, orphanBlobsRemoved: 0, entriesDropped: 0, blobsQuarantined: 0 }
  report.tempFilesRemoved = await emptyDir(layout.tmpDir)
  const { entries, malformed } = await index.loadAll()
  const onDisk = await scanBlobs(layout, report)
  const kept: EntryMeta[] = []
  const drops: IndexOp[] = malformed.map(key => ({ type: 'del', key }))
  const wrongSize = new Set<string>()
  for (const meta of entries) {
    const size = onDisk.get(meta.sha256)
    if (size === meta.size) {
      kept.push(meta)
      continue
    }
    if (size !== undefined) wrongSize.add(meta.sha256)
    drops.push({ type: 'del', key: meta.key })
  }
  report.entriesDropped = drops.length
  if (drops.length > 0) await index.write(drops)
  const referenced = new Set(kept.map(meta => meta.sha256))
  for (const sha of onDisk.keys()) {
    if (referenced.has(sha)) continue
    if (wrongSize.has(sha)) {
      await rename(layout.blobPath(sha), layout.quarantinePath(sha, now))
      report.blobsQuarantined++
    } else {
      await unlink(layout.blobPath(sha))
      report.orphanBlobsRemoved++
    }
  }
  return { entries: kept, report }
}

/** Removes everything inside `dir`; returns how many entries were removed. */
async function emptyDir (dir: string): Promise<number> {
  const names = await readdir(dir)
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true })
  return names.length
}

/** Sizes of the well-named blobs on disk; anything else under blobs/ is removed (counted as orphans). */
async function scanBlobs (layout: StoreLayout, report: RecoveryReport): Promise<Map<string, number>> {
  const sizes = new Map<string, number>()
  for (const shard of await readdir(layout.blobsDir, { withFileTypes: true })) {
    const shardPath = join(layout.blobsDir, shard.name)
    if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) {
      await rm(shardPath, { recursive: true, force: true })
      report.orphanBlobsRemoved++
      continue
    }
    const names = await readdir(shardPath)
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      await Promise.all(names.slice(i, i + STAT_BATCH).map(async name => {
        const path = join(shardPath, name)
        const info = await stat(path)
        if (info.isFile() && SHA256_PATTERN.test(name) && name.startsWith(shard.name)) {
          sizes.set(name, info.size)
          return
        }
        await rm(path, { recursive: true, force: true })
        report.orphanBlobsRemoved++
      }))
    }
  }
  return sizes
}
