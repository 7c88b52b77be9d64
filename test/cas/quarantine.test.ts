import test from 'ava'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ContentStore } from '../../src/cas/index.js'
import { blobPath, flipByte, newKey, openStore, sha256, tempDir } from './helpers.js'

/** Stores `bytes`, rots its blob on disk and reads it, so the store quarantines it. */
async function quarantineOne (store: ContentStore, dir: string, bytes: Uint8Array): Promise<void> {
  const key = newKey()
  await store.put(key, bytes)
  await flipByte(blobPath(dir, bytes), 10)
  if (await store.get(key) !== undefined) throw new Error('the rotted blob was served')
}

async function quarantined (dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'quarantine'))).sort()
}

test('quarantine keeps the newest blobs up to its file limit; older ones are deleted and counted', async t => {
  const dir = await tempDir(t)
  let clock = 1000
  const store = await openStore(t, { dir, now: () => clock, quarantineMaxFiles: 2 })
  const blobs = [randomBytes(3000), randomBytes(3000), randomBytes(3000)]
  for (const bytes of blobs) {
    clock += 1000
    await quarantineOne(store, dir, bytes)
  }
  t.deepEqual(await quarantined(dir), [`${sha256(blobs[1]!)}.3000`, `${sha256(blobs[2]!)}.4000`].sort())
  t.like(store.stats(), { quarantined: 3, quarantinePruned: 1, entries: 0 })
})

test('quarantine keeps the newest blobs up to its byte limit', async t => {
  const dir = await tempDir(t)
  let clock = 1000
  const store = await openStore(t, { dir, now: () => clock, quarantineMaxBytes: 5000 })
  const [older, newer] = [randomBytes(3000), randomBytes(3000)]
  await quarantineOne(store, dir, older)
  t.deepEqual(await quarantined(dir), [`${sha256(older)}.1000`])
  clock++
  await quarantineOne(store, dir, newer)
  t.deepEqual(await quarantined(dir), [`${sha256(newer)}.1001`], 'both would be 6000 bytes')
  t.like(store.stats(), { quarantined: 2, quarantinePruned: 1 })
})

test('a quarantine over its limits (left by a store without them) is pruned at start, newest kept, and logged', async t => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'quarantine'), { recursive: true })
  const names = [1, 2, 3, 4].map(n => `${sha256(Buffer.from([n]))}.${n * 1000}`)
  for (const name of names) await writeFile(join(dir, 'quarantine', name), randomBytes(100))
  await writeFile(join(dir, 'quarantine', 'not-a-blob'), 'x') // a foreign name: its mtime says how new it is
  const logged: object[] = []
  const logger = { info: (obj: object, msg?: string) => { if (msg?.includes('quarantine') === true) logged.push(obj) }, warn: () => {} }
  const store = await openStore(t, { dir, logger, now: () => Date.now(), quarantineMaxFiles: 2 })
  t.deepEqual(await quarantined(dir), ['not-a-blob', names[3]!].sort())
  t.like(store.stats(), { quarantinePruned: 3 })
  t.like(logged, [{ files: 3, bytes: 300, kept: 2 }])
})
