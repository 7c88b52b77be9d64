/**
 * Run by disk-full.test.ts inside a private mount namespace, with `argv[2]` a small tmpfs: stores entries, fills
 * the disk until index writes fail, frees it, stores more, reopens the store and prints (JSON) which of the
 * acknowledged puts it still finds.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ContentStore } from '../../src/cas/index.js'
import { newKey } from './helpers.js'

const PAGE = Buffer.alloc(4096, 1)

/** Writes `path` until the file system is full. */
function fill (path: string): void {
  const fd = openSync(path, 'w')
  try {
    for (;;) writeSync(fd, PAGE)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
}

/**
 * Puts `count` empty entries (an empty blob takes an inode but no page: only the index needs space); resolves to
 * how many failed, by error code.
 */
async function putMany (store: ContentStore, count: number, acked: string[]): Promise<Record<string, number>> {
  const errors: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const key = newKey()
    try {
      await store.put(key, new Uint8Array(0))
      acked.push(key)
    } catch (err) {
      const code = (err as { code?: string }).code ?? String(err)
      errors[code] = (errors[code] ?? 0) + 1
    }
  }
  return errors
}

const mount = process.argv[2]!
const dir = join(mount, 'store')
const filler = join(mount, 'filler')
const acked: string[] = []
const store = await ContentStore.open({ dir, maxBytes: 1 << 30 })
await putMany(store, 20, acked)
fill(filler)
const whileFull = await putMany(store, 60, acked)
rmSync(filler)
const ackedBeforeFree = acked.length
const afterFree = await putMany(store, 100, acked)
await store.close()
const reopened = await ContentStore.open({ dir, maxBytes: 1 << 30 })
const lost: number[] = []
for (const [i, key] of acked.entries()) if (await reopened.head(key) === undefined) lost.push(i)
await reopened.close()
process.stdout.write(JSON.stringify({
  acked: acked.length, ackedBeforeFree, whileFull, afterFree, lost, orphanBlobsRemoved: reopened.recovery.orphanBlobsRemoved
}) + '\n')
