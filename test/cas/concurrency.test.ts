import test from 'ava'
import { randomBytes } from 'node:crypto'
import { listFiles, newKey, openStore, readAll, sha256, tempDir } from './helpers.js'

test('concurrent puts of one key leave exactly one of the bodies, whole, and one blob', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const key = newKey()
  const bodies = Array.from({ length: 16 }, () => randomBytes(8 * 1024))
  await Promise.all(bodies.map(async body => await store.put(key, body)))
  const got = await readAll((await store.get(key))!.body)
  t.true(bodies.some(body => body.equals(got)))
  t.is((await store.head(key))?.sha256, sha256(got))
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('blobs/')), [`blobs/${sha256(got).slice(0, 2)}/${sha256(got)}`])
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('tmp/')), [])
  t.like(store.stats(), { entries: 1, bytes: got.length, puts: 16 })
  await store.close()
  const reopened = await openStore(t, { dir })
  t.is((await reopened.head(key))?.sha256, sha256(got), 'the index on disk agrees with memory')
  t.is(reopened.recovery.orphanBlobsRemoved, 0)
})

test('concurrent puts of the same bytes under many keys share one blob', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir })
  const bytes = randomBytes(5 * 1024)
  const keys = Array.from({ length: 16 }, newKey)
  await Promise.all(keys.map(async key => await store.put(key, bytes)))
  t.like(store.stats(), { entries: 16, bytes: bytes.length })
  t.deepEqual((await listFiles(dir)).filter(f => !f.startsWith('index/')), [`blobs/${sha256(bytes).slice(0, 2)}/${sha256(bytes)}`])
  for (const key of keys) t.deepEqual((await store.get(key))?.bytes, bytes)
})

test('puts racing evictions of the same bytes never leave an entry without its blob', async t => {
  const dir = await tempDir(t)
  const store = await openStore(t, { dir, maxBytes: 4 * 1024 })
  const shared = randomBytes(1024)
  const work = []
  for (let i = 0; i < 40; i++) {
    work.push(store.put(newKey(), i % 2 === 0 ? shared : randomBytes(1024)))
    if (i % 5 === 0) work.push(store.gc({ targetBytes: 0 }))
  }
  await Promise.all(work)
  await store.close()
  const reopened = await openStore(t, { dir, maxBytes: 4 * 1024 })
  t.is(reopened.recovery.entriesDropped, 0, 'no index entry pointed at a missing blob')
  t.is(reopened.recovery.orphanBlobsRemoved, 0, 'no blob was left behind')
  t.like(await reopened.verify(), { quarantined: 0 })
})

test('concurrent first reads of a big blob all get its verified bytes', async t => {
  const store = await openStore(t, { smallBlobBytes: 64 * 1024 })
  const key = newKey()
  const bytes = randomBytes(3 * 1024 * 1024 + 5)
  await store.put(key, bytes)
  await store.close()
  const reopened = await openStore(t, { dir: store.dir, smallBlobBytes: 64 * 1024 })
  const bodies = await Promise.all(Array.from({ length: 8 }, async () => await readAll((await reopened.get(key))!.body)))
  for (const body of bodies) t.true(body.equals(bytes))
  t.like(reopened.stats(), { hits: 8, quarantined: 0 })
})
