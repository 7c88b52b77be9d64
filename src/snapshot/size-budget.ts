import { lstat } from 'node:fs/promises'
import { SnapshotTooLargeError } from './errors.js'
import { forEachLimited } from './pool.js'
import type { SnapshotStore } from './store-view.js'

/** Share of a node's cache budget one snapshot may take: its blobs are pinned, and pins outrank the budget. */
const SHARE_OF_CACHE = 0.5
/** Directories a refusal names, and how deep it looks for them. */
const NAMED_DIRECTORIES = 3
const NAMED_DEPTH = 3

/** The bytes a snapshot may hold on a node whose store is `store`: half its cache budget, or no limit if unknown. */
export function snapshotBudget (store: Pick<SnapshotStore, 'stats'>): number {
  const maxBytes = store.stats?.().maxBytes
  return maxBytes === undefined ? Number.POSITIVE_INFINITY : Math.floor(maxBytes * SHARE_OF_CACHE)
}

/** Refuses files whose sizes add up to more than `maxBytes` (SnapshotTooLargeError, naming the biggest directories). */
export function checkSnapshotSize (files: ReadonlyArray<{ path: string, size: number }>, maxBytes: number): void {
  let total = 0
  for (const file of files) total += file.size
  if (total > maxBytes) throw new SnapshotTooLargeError(total, maxBytes, biggestDirectories(files))
}

/** The sizes of the regular files at `absolute`, read before anything is stored (a file gone since the walk: 0). */
export async function sizesOf (files: ReadonlyArray<{ path: string, absolute: string }>, signal?: AbortSignal): Promise<Array<{ path: string, size: number }>> {
  const sized = files.map(file => ({ path: file.path, size: 0 }))
  await forEachLimited(files, 16, async (file, index) => {
    signal?.throwIfAborted()
    sized[index]!.size = (await lstat(file.absolute).catch(() => undefined))?.size ?? 0
  })
  return sized
}

/**
 * The directories (up to NAMED_DEPTH deep) holding the most bytes, biggest first; a directory gives way to
 * one inside it that holds nearly all of its bytes, which says better what to ignore.
 */
function biggestDirectories (files: ReadonlyArray<{ path: string, size: number }>): Array<{ path: string, bytes: number }> {
  const bytes = new Map<string, number>()
  for (const file of files) {
    const segments = file.path.split('/').slice(0, -1)
    for (let depth = 1; depth <= Math.min(NAMED_DEPTH, segments.length); depth++) {
      const dir = segments.slice(0, depth).join('/')
      bytes.set(dir, (bytes.get(dir) ?? 0) + file.size)
    }
  }
  const named: Array<{ path: string, bytes: number }> = []
  for (const [path, size] of [...bytes].sort((a, b) => b[1] - a[1])) {
    const outer = named.findIndex(dir => path.startsWith(`${dir.path}/`))
    if (outer !== -1) {
      if (size >= 0.9 * named[outer]!.bytes) named[outer] = { path, bytes: size }
      continue
    }
    if (named.length < NAMED_DIRECTORIES) named.push({ path, bytes: size })
  }
  return named
}
