import test from 'ava'
import { join } from 'node:path'
import { IndexDb } from '../../src/cas/index-db.js'
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
