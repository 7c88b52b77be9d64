import { open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

let count = 0

/**
 * Milliseconds to do what the store does with a fetched blob before the HTTP answer can start: write it to a
 * temp file, fdatasync, close and rename it into place. Measured in `dir` (the nodes' file system); removed after.
 */
export async function syncedWriteMs (dir: string, body: Uint8Array): Promise<number> {
  const temp = join(dir, `sync-probe-${process.pid}-${++count}.tmp`)
  const final = `${temp}.blob`
  const started = performance.now()
  const file = await open(temp, 'w')
  try {
    await file.write(body)
    await file.datasync()
  } finally {
    await file.close()
  }
  await rename(temp, final)
  const ms = performance.now() - started
  await rm(final, { force: true })
  return ms
}
