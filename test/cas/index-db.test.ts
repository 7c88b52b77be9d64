import test from 'ava'
import { join } from 'node:path'
import { IndexDb } from '../../src/cas/index-db.js'
import { contentKey } from '../../src/cas/keys.js'
import { IndexUnavailableError } from '../../src/cas/errors.js'
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

/** The index's LevelDB handle, with its batch failing as told and its open failing `openFailures` times. */
function faultyDb (index: IndexDb, failBatch: (n: number) => boolean, openFailures: number): { opens: () => number } {
  const db = Reflect.get(index, 'db') as { batch: (ops: unknown[]) => Promise<void>, open: () => Promise<void> }
  const [batch, open] = [db.batch.bind(db), db.open.bind(db)]
  let [batches, opens] = [0, 0]
  db.batch = async ops => {
    if (failBatch(batches++)) throw new Error('IO error: 000003.log: No space left on device')
    await batch(ops)
  }
  db.open = async () => {
    if (opens++ < openFailures) throw new Error('IO error: 000005.ldb: No space left on device')
    await open()
  }
  return { opens: () => opens }
}

const entry = (key: string): { type: 'put', meta: { key: string, sha256: string, size: number, lastAccess: number } } =>
  ({ type: 'put', meta: { key, sha256: 'a'.repeat(64), size: 1, lastAccess: 1 } })

test('a failed batch reopens the index; while it cannot be opened every write fails, then the next one opens it', async t => {
  const dir = await tempDir(t)
  const index = await IndexDb.open(join(dir, 'index'), dir)
  t.teardown(async () => { await index.close() })
  const faults = faultyDb(index, n => n === 0, 2)
  const keys = [newKey(), newKey(), newKey()]
  await t.throwsAsync(index.write([entry(keys[0]!)]), { message: /No space left/ })
  t.is(faults.opens(), 1, 'closed and opened again after the failed batch')
  await t.throwsAsync(index.write([entry(keys[1]!)]), { instanceOf: IndexUnavailableError, code: 'ERR_CAS_INDEX_UNAVAILABLE' })
  t.is(faults.opens(), 2, 'the write tried to open it first')
  await index.write([entry(keys[2]!)])
  t.is(faults.opens(), 3)
  t.deepEqual((await index.loadAll()).entries.map(e => e.key), [keys[2]])
})

test('writes queued in separate callbacks of one event loop turn (PUTs whose fdatasyncs completed together) go to the index in one batch', async t => {
  const dir = await tempDir(t)
  const index = await IndexDb.open(join(dir, 'index'), dir)
  t.teardown(async () => { await index.close() })
  const db = Reflect.get(index, 'db') as { batch: (ops: unknown[]) => Promise<void> }
  const batch = db.batch.bind(db)
  const batches: number[] = []
  db.batch = async ops => {
    batches.push(ops.length)
    await batch(ops)
  }
  const keys = [newKey(), newKey(), newKey()]
  const writes = await new Promise<Array<Promise<void>>>(resolve => {
    const queued: Array<Promise<void>> = []
    for (const key of keys) {
      setImmediate(() => {
        queued.push(index.write([entry(key)]))
        if (queued.length === keys.length) resolve(queued)
      })
    }
  })
  await Promise.all(writes)
  t.deepEqual(batches, [3])
  t.deepEqual((await index.loadAll()).entries.map(e => e.key).sort(), [...keys].sort())
})
