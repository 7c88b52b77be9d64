/**
 * Run by disk-full.test.ts inside a private mount namespace, with `argv[2]` a small tmpfs: stores entries, fills
 * the disk, reads the first entries (their lastAccess is due), puts until index writes fail, flushes lastAccess
 * (refused too), notes which of the first entries are still there, frees the disk, stores more, reopens the store
 * and prints (JSON) which of the acknowledged puts it still finds.
 */
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ContentStore } from '../../src/cas/index.js'
import { newKey, readAll } from './helpers.js'

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
 * Puts `count` entries of `size` random bytes (an empty blob takes an inode but no page: only the index needs
 * space); resolves to how many failed, by error code.
 */
async function putMany (store: ContentStore, count: number, acked: string[], size = 0): Promise<Record<string, number>> {
  const errors: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const key = newKey()
    try {
      const { sha256 } = await store.put(key, randomBytes(size))
      acked.push(key)
      shas.set(key, sha256)
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
const shas = new Map<string, string>()
const store = await ContentStore.open({ dir, maxBytes: 1 << 30, accessFlushMs: 3_600_000 })
await putMany(store, 20, acked, 8192)
const first = [...acked]
fill(filler)
for (const key of first) await readAll((await store.get(key))!.body) // builds reading hits: lastAccess is due
const whileFull = await putMany(store, 60, acked)
const flushError = await (Reflect.get(store, 'access') as { flush: () => Promise<void> }).flush()
  .then(() => undefined, (err: unknown) => (err as { code?: string }).code ?? String(err))
const servedWhileFull = (await Promise.all(first.map(async key => await store.head(key)))).filter(m => m !== undefined).length
rmSync(filler)
const ackedBeforeFree = acked.length
const afterFree = await putMany(store, 100, acked)
await store.close() // waits for the store's background work (blob deletions)
const firstBlobsKept = first.filter(key => existsSync(join(dir, 'blobs', shas.get(key)!.slice(0, 2), shas.get(key)!))).length
const reopened = await ContentStore.open({ dir, maxBytes: 1 << 30 })
const lost: number[] = []
for (const [i, key] of acked.entries()) if (await reopened.head(key) === undefined) lost.push(i)
await reopened.close()
process.stdout.write(JSON.stringify({
  acked: acked.length,
  ackedBeforeFree,
  whileFull,
  flushError,
  servedWhileFull,
  firstBlobsKept,
  afterFree,
  lost,
  orphanBlobsRemoved: reopened.recovery.orphanBlobsRemoved
}) + '\n')
