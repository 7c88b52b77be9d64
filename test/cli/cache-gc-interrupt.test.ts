import test, { type ExecutionContext } from 'ava'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { watch } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { removeDataDir, runGmesh, startNode, stopAtTeardown, type GmeshResult } from '../helpers/gmesh-node.js'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { NodeClient } from '../../src/client/node-client.js'
import { ContentStore } from '../../src/cas/store.js'
import { silentLogger } from '../../src/config/logger.js'

/** Enough entries that evicting them all takes far longer than a signal takes to arrive (78 chunks of 128). */
const ENTRIES = 10_000
const SIZE = 64

/** Puts ENTRIES entries of SIZE bytes into the cache of `dataDir`, as a node that ran there leaves it. */
async function fillCache (dataDir: string): Promise<void> {
  const store = await ContentStore.open({ dir: path.join(dataDir, 'cas'), maxBytes: 1024 ** 3, syncBlobs: false, logger: silentLogger() })
  for (let i = 0; i < ENTRIES; i += 100) {
    await Promise.all(Array.from({ length: 100 }, async () => await store.put(randomBytes(16).toString('hex'), randomBytes(SIZE))))
  }
  await store.close()
}

async function blobCount (dataDir: string): Promise<number> {
  return (await readdir(path.join(dataDir, 'cas', 'blobs'), { recursive: true, withFileTypes: true })).filter(e => e.isFile()).length
}

/** Watches the blob directories of the cache in `dataDir`: `deleted` resolves once a blob goes (the gc is under way). */
async function watchBlobDeletion (dataDir: string): Promise<{ deleted: Promise<void>, close: () => void }> {
  const blobs = path.join(dataDir, 'cas', 'blobs')
  let deletedOne = (): void => {}
  const deleted = new Promise<void>(resolve => { deletedOne = resolve })
  // nothing but the gc changes these directories meanwhile: the first change is a deletion
  const watchers = (await readdir(blobs)).map(shard => watch(path.join(blobs, shard), () => { deletedOne() }))
  return { deleted, close: () => { for (const watcher of watchers) watcher.close() } }
}

/** Runs `gmesh cache gc --cache-max 0` on `dataDir` and sends it SIGINT once its first blob is deleted. */
async function interruptedGc (t: ExecutionContext, dataDir: string): Promise<GmeshResult> {
  const watching = await watchBlobDeletion(dataDir)
  t.teardown(watching.close)
  const child = spawn(process.execPath, [GMESH_BIN, 'cache', 'gc', '--cache-max', '0', '--data', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  stopAtTeardown(t, child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const closed = once(child, 'close') as Promise<[number | null]>
  await watching.deleted
  child.kill('SIGINT')
  const [code] = await closed
  return { code, stdout, stderr }
}

test('Ctrl-C stops a gc on the store itself early: it exits 130 saying what it evicted, and the cache verifies', async t => {
  t.timeout(120_000)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-gc-int-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  await fillCache(dataDir)
  const result = await interruptedGc(t, dataDir)
  t.is(result.code, 130, result.stderr)
  t.regex(result.stderr, /gmesh: SIGINT: stopping the gc/)
  t.regex(result.stderr, /gmesh: gc interrupted after evicting \d+ entries \([^)]+\); the other entries are as they were/)
  const done = JSON.parse(result.stdout) as { evicted: number, freedBytes: number, interrupted: boolean }
  t.true(done.interrupted)
  t.true(done.evicted > 0 && done.evicted < ENTRIES, `stopped early: ${done.evicted} of ${ENTRIES}`)
  t.is(done.freedBytes, done.evicted * SIZE)
  const left = ENTRIES - done.evicted
  t.is(await blobCount(dataDir), left, 'no blob of an evicted entry left behind, none of a kept one deleted')
  const verify = await runGmesh(t, ['cache', 'verify', '--data', dataDir, '--json'])
  t.is(verify.code, 0, verify.stderr) // the data dir's lock was released: a stale one would be taken over, not refused
  t.deepEqual(JSON.parse(verify.stdout), { checked: left, quarantined: 0 })
  const stats = JSON.parse((await runGmesh(t, ['cache', 'stats', '--data', dataDir, '--json'])).stdout) as { entries: number }
  t.is(stats.entries, left)
})

test('Ctrl-C on a gc through a node cancels the request, and the node stops the gc as its client goes away', async t => {
  t.timeout(120_000)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-gc-int-node-'))
  await fillCache(dataDir)
  const node = await startNode({ dataDir, args: ['--cache-max', '1GiB'] })
  t.teardown(async () => { await removeDataDir(node) })
  const client = await NodeClient.connect(dataDir)
  const { lastId } = await client.events()
  const result = await interruptedGc(t, dataDir)
  t.is(result.code, 130, result.stderr)
  t.regex(result.stderr, /gmesh: gc interrupted: the node stops it after the entries it is evicting now/)
  const stop = new AbortController()
  let gc: { evicted: number, interrupted?: true } | undefined
  for await (const event of client.subscribe({ signal: stop.signal, after: lastId })) {
    if (event.type !== 'cache-gc') continue
    gc = event
    stop.abort()
  }
  t.true(gc?.interrupted, 'the node says its gc stopped early')
  const evicted = gc?.evicted ?? 0
  t.true(evicted > 0 && evicted < ENTRIES, `stopped early: ${evicted} of ${ENTRIES}`)
  const left = ENTRIES - evicted
  t.like(await client.status(), { cache: { entries: left } })
  t.deepEqual(await client.cacheVerify(), { checked: left, quarantined: 0 })
  t.is(await blobCount(dataDir), left)
})
