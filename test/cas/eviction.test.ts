import test from 'ava'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { listFiles, newKey, openStore, sha256, tempDir } from './helpers.js'

const KIB = 1024

test('puts past maxBytes evict the least recently used entries first, counting reads as use', async t => {
  const store = await openStore(t, { maxBytes: 3 * KIB })
  const [a, b, c, d] = [newKey(), newKey(), newKey(), newKey()]
  for (const key of [a, b, c]) await store.put(key, randomBytes(KIB))
  await store.get(a) // order of use is now b, c, a
  await store.put(d, randomBytes(KIB))
  t.is(await store.head(b), undefined)
  for (const key of [a, c, d]) t.truthy(await store.head(key))
  await store.head(c) // head is not a use
  await store.put(newKey(), randomBytes(KIB))
  t.is(await store.head(c), undefined)
  t.truthy(await store.head(a))
  t.like(store.stats(), { entries: 3, bytes: 3 * KIB, evictions: 2, maxBytes: 3 * KIB })
})

test('a pinned blob is never evicted; once unpinned it is', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, maxBytes: 2 * KIB })
  const pinnedBytes = randomBytes(KIB)
  const pinned = newKey()
  await store.put(pinned, pinnedBytes)
  store.pin(sha256(pinnedBytes))
  store.pin(sha256(pinnedBytes))
  const others = [newKey(), newKey(), newKey()]
  for (const key of others) await store.put(key, randomBytes(KIB))
  t.truthy(await store.head(pinned))
  t.truthy(await store.head(others[2]!))
  t.is(await store.head(others[0]!), undefined)
  t.is(await store.head(others[1]!), undefined)
  store.unpin(sha256(pinnedBytes))
  t.deepEqual(await store.gc({ targetBytes: KIB }), { evicted: 1, freedBytes: KIB }, 'still pinned once: the other entry goes')
  t.truthy(await store.head(pinned))
  store.unpin(sha256(pinnedBytes))
  t.deepEqual(await store.gc({ targetBytes: 0 }), { evicted: 1, freedBytes: KIB })
  t.is(await store.head(pinned), undefined)
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('blobs/')), [])
})

test('pinned blobs beyond half the budget go over it, and new entries still stay', async t => {
  const store = await openStore(t, { maxBytes: 4 * KIB })
  const snapshot = [randomBytes(2 * KIB), randomBytes(2 * KIB), randomBytes(2 * KIB)]
  for (const bytes of snapshot) {
    await store.put(newKey(), bytes)
    store.pin(sha256(bytes))
  }
  const results = [newKey(), newKey(), newKey()]
  for (const key of results) await store.put(key, randomBytes(KIB))
  t.is(await store.head(results[0]!), undefined, 'the oldest result made room')
  t.truthy(await store.head(results[1]!), 'half the budget is left to cache entries')
  t.truthy(await store.head(results[2]!), 'the entry just put stays')
  t.like(store.stats(), { entries: 5, bytes: 8 * KIB })
  for (const bytes of snapshot) store.unpin(sha256(bytes))
  await new Promise(resolve => setImmediate(resolve)) // the store evicts right after this turn's unpins, with no put
  t.like(store.stats(), { bytes: 4 * KIB, evictions: 3 }, 'unpinned, the budget holds again: the oldest entries went')
  t.truthy(await store.head(results[2]!))
  t.like(await store.gc(), { evicted: 0 }, 'gc without a target aims at the same budget')
})

test('reopening with a smaller budget evicts down to it, oldest access first', async t => {
  const dir = await tempDir(t)
  let clock = 1000
  const first = await openStore(t, { dir, now: () => clock++ })
  const keys = [newKey(), newKey(), newKey()]
  for (const key of keys) await first.put(key, randomBytes(KIB))
  await first.get(keys[0]!) // lastAccess is written behind, on close at the latest
  await first.close()
  const second = await openStore(t, { dir, maxBytes: 2 * KIB, now: () => clock++ })
  t.is(await second.head(keys[1]!), undefined)
  t.truthy(await second.head(keys[0]!))
  t.truthy(await second.head(keys[2]!))
  t.like(second.stats(), { entries: 2, evictions: 1 })
})

test('whoever watches is told of every entry the store lets go: evicted, quarantined, deleted', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, maxBytes: 2 * KIB })
  const dropped: string[] = []
  const unwatch = store.watchDropped(keys => { dropped.push(...keys) })
  const [a, b, c, d] = [newKey(), newKey(), newKey(), newKey()]
  for (const key of [a, b, c]) await store.put(key, randomBytes(KIB))
  t.deepEqual(dropped, [a], 'a was evicted to make room for c')
  const bytes = randomBytes(KIB / 2)
  await store.put(d, bytes)
  t.deepEqual(dropped, [a, b], 'then b, for d')
  await writeFile(join(dir, 'blobs', sha256(bytes).slice(0, 2), sha256(bytes)), Buffer.alloc(KIB / 2)) // the disk damaged d
  t.is(await store.get(d), undefined)
  await store.delete(c)
  t.deepEqual(dropped, [a, b, d, c], 'd quarantined, c deleted')
  unwatch()
  await store.put(newKey(), randomBytes(KIB))
  await store.put(newKey(), randomBytes(KIB))
  t.is(dropped.length, 4, 'nothing more once unwatched')
})

test('opening a store over its budget evicts down to it and warns how many entries and bytes went', async t => {
  const dir = await tempDir(t)
  const first = await openStore(t, { dir, maxBytes: 4 * KIB })
  for (let i = 0; i < 3; i++) await first.put(newKey(), randomBytes(KIB))
  await first.close()
  const warnings: Array<{ obj: object, msg?: string }> = []
  const logger = { info: () => {}, warn: (obj: object, msg?: string) => { warnings.push({ obj, ...(msg === undefined ? {} : { msg }) }) } }
  const reopened = await openStore(t, { dir, maxBytes: KIB, logger })
  t.like(reopened.stats(), { entries: 1, bytes: KIB })
  t.is(warnings.length, 1)
  t.like(warnings[0]?.obj, { evicted: 2, freedBytes: 2 * KIB, maxBytes: KIB })
  t.is(warnings[0]?.msg, `cas: evicted 2 entries (${2 * KIB} bytes) at start to fit the budget of ${KIB} bytes`)
  await reopened.close()
  warnings.length = 0
  await (await openStore(t, { dir, maxBytes: KIB, logger })).close()
  t.deepEqual(warnings, [], 'a store within its budget opens without a warning')
})

test('concurrent puts take their lastAccess as they are indexed, so a restart rebuilds the order of use memory had', async t => {
  const dir = await tempDir(t)
  let clock = 0
  const store = await openStore(t, { dir, now: () => ++clock })
  // each blob lands in a shard of its own, most of them new: their moves into place finish in any order
  await Promise.all(Array.from({ length: 32 }, async () => await store.put(newKey(), randomBytes(KIB))))
  const used = store.list()
  t.deepEqual(used.map(meta => meta.lastAccess), used.map(meta => meta.lastAccess).sort((x, y) => x - y))
  await store.close()
  const again = await openStore(t, { dir })
  t.deepEqual(again.list().map(meta => meta.key), used.map(meta => meta.key))
})
