import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { listFiles, openStore, readAll, sha256, tempDir } from './helpers.js'

const WRITER = fileURLToPath(new URL('./fixtures/put-writer.js', import.meta.url))

/** Starts the writer and resolves, once it has a stalled temp file and `puts` finished puts, with the finished ones. */
async function runWriterUntil (t: import('ava').ExecutionContext, dir: string, puts: number): Promise<Array<{ key: string, sha: string }>> {
  const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit')
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL') })
  const done: Array<{ key: string, sha: string }> = []
  let stalled = false
  for await (const line of createInterface({ input: child.stdout })) {
    const [word, key, sha] = line.split(' ')
    if (word === 'stalled') stalled = true
    if (word === 'put' && key !== undefined && sha !== undefined) done.push({ key, sha })
    if (stalled && done.length >= puts) break
  }
  process.kill(child.pid!, 'SIGKILL')
  const [, signal] = await exited
  t.is(signal, 'SIGKILL', 'the writer was killed, it did not finish')
  return done
}

test('after SIGKILL mid-stream every indexed entry is readable and verified, the last puts survive and no orphan remains', async t => {
  const dir = await tempDir(t)
  const finished = await runWriterUntil(t, dir, 120)

  const store = await openStore(t, { dir, maxBytes: 1024 * 1024 })
  t.true(store.recovery.tempFilesRemoved >= 1, 'the stalled and in-flight temp files were collected')
  // blobs are complete and in place before their entry is written, and entries go before their blob is deleted
  t.is(store.recovery.entriesDropped, 0, 'no entry pointed at a missing or partial blob')
  t.is(store.recovery.blobsQuarantined, 0)
  t.deepEqual((await listFiles(dir)).filter(f => f.startsWith('tmp/')), [])
  // the budget holds far more than the last 10 puts (40 KiB at most each): they were durable when they resolved
  for (const { key, sha } of finished.slice(-10)) t.is((await store.head(key))?.sha256, sha, `entry ${key} survived`)
  const { entries } = store.stats()
  t.true(entries >= 10)
  t.deepEqual(await store.verify(), { checked: (await listFiles(dir)).filter(f => f.startsWith('blobs/')).length, quarantined: 0 })
  for (const meta of store.list()) {
    const entry = await store.get(meta.key)
    t.truthy(entry, `indexed entry ${meta.key} is readable`)
    t.is(sha256(await readAll(entry!.body)), meta.sha256)
  }
  await store.close()

  const again = await openStore(t, { dir, maxBytes: 1024 * 1024 })
  t.deepEqual(again.recovery, { tempFilesRemoved: 0, orphanBlobsRemoved: 0, entriesDropped: 0, blobsQuarantined: 0 }, 'nothing left to collect')
  t.is(again.stats().entries, entries)
})
