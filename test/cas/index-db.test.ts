import test from 'ava'
import { join } from 'node:path'
import { IndexDb } from '../../src/cas/index-db.js'
import { contentKey } from '../../src/cas/keys.js'
import { newKey, tempDir } from './helpers.js'

test('an empty write settles and the writes after it still reach the index', async t => {
  const dir = await tempDir(t)
  const index = await IndexDb.open(join(dir, 'index'), dir)
  t.teardown(async () => { await index.close() })
  await index.write([])
  const key = newKey()
  await index.write([{ type: 'put', meta: { key, sha256: 'a'.repeat(64), size: 1, lastAccess: 1 } }])
  await index.flushed()
  t.deepEqual((await index.loadAll()).entries.map(e => e.key), [key])
})

test('a content key recorded with another blob than the one it names is read back as malformed', async t => {
  const dir = await tempDir(t)
  const index = await IndexDb.open(join(dir, 'index'), dir)
  t.teardown(async () => { await index.close() })
  const [named, other] = ['a'.repeat(64), 'b'.repeat(64)]
  await index.write([
    { type: 'put', meta: { key: contentKey(named), sha256: named, size: 1, lastAccess: 1 } },
    { type: 'put', meta: { key: contentKey(other), sha256: named, size: 1, lastAccess: 1 } }
  ])
  const { entries, malformed } = await index.loadAll()
  t.deepEqual(entries.map(e => e.key), [contentKey(named)])
  t.deepEqual(malformed, [contentKey(other)])
})
