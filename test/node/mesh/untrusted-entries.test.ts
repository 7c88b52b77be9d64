import test from 'ava'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { TrustPolicy } from '../../../protocols/cache/index.js'
import { ContentStore } from '../../../src/cas/index.js'
import { dropUntrustedEntries } from '../../../node/mesh/untrusted-entries.js'
import { listFiles, newKey, sha256, tempDir } from '../../cas/helpers.js'

const SELF = 'self-peer'
const onlyCi = new TrustPolicy({ producers: { mode: 'peers', peers: ['ci'] }, submitters: { mode: 'any-member' }, announceOwnPuts: true })

async function open (dir: string): Promise<ContentStore> {
  return await ContentStore.open({ dir, maxBytes: 1 << 30 })
}

test('after a restart with a narrower trust list, entries of producers no longer trusted are dropped for good; own and trusted ones stay', async t => {
  const dir = await tempDir(t)
  const first = await open(dir)
  const shared = randomBytes(2048) // one blob under a trusted key and an untrusted one
  const keys = { localPut: newKey(), ownSigned: newKey(), fromCi: newKey(), fromLaptop: newKey(), laptopShared: newKey() }
  await first.put(keys.localPut, randomBytes(1024))
  await first.put(keys.ownSigned, randomBytes(1024), { producer: SELF, signature: '1:1:00' })
  await first.put(keys.fromCi, shared, { producer: 'ci', signature: '1:1:00' })
  const laptopBytes = randomBytes(3000)
  await first.put(keys.fromLaptop, laptopBytes, { producer: 'laptop', signature: '1:1:00' })
  await first.put(keys.laptopShared, shared, { producer: 'laptop', signature: '1:1:00' })
  await first.close()

  const store = await open(dir)
  t.teardown(async () => { await store.close() })
  const report = await dropUntrustedEntries(store, onlyCi, SELF)
  t.deepEqual(report, { dropped: 2, droppedBytes: 3000 + 2048, producers: { laptop: 2 } })
  t.is(await store.get(keys.fromLaptop), undefined, 'a miss: Gradle and peers get nothing')
  t.is(await store.head(keys.laptopShared), undefined)
  for (const key of [keys.localPut, keys.ownSigned, keys.fromCi]) t.truthy(await store.get(key), key)
  const blobs = await listFiles(join(dir, 'blobs'))
  t.false(blobs.some(f => f.endsWith(sha256(laptopBytes))), 'the untrusted blob is deleted')
  t.true(blobs.some(f => f.endsWith(sha256(shared))), 'a blob a trusted entry still uses is kept')
  await store.close()

  const reopened = await open(dir)
  t.teardown(async () => { await reopened.close() })
  t.deepEqual(reopened.list().map(m => m.key).sort(), [keys.localPut, keys.ownSigned, keys.fromCi].sort(), 'the index forgot them too')
})

test('an open mesh drops nothing', async t => {
  const dir = await tempDir(t)
  const store = await open(dir)
  t.teardown(async () => { await store.close() })
  await store.put(newKey(), randomBytes(100), { producer: 'anyone', signature: '1:1:00' })
  t.deepEqual(await dropUntrustedEntries(store, new TrustPolicy(), SELF), { dropped: 0, droppedBytes: 0, producers: {} })
  t.is(store.stats().entries, 1)
})
