import test from 'ava'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { silentLogger } from '../../src/config/logger.js'
import { GradleCacheHandler } from '../../src/gradle/http-cache.js'
import { loadManifest, materialise } from '../../src/snapshot/index.js'
import type { ContentStore } from '../../src/cas/index.js'
import { pinnedSnapshot, tempDir } from './helpers.js'

/** The node's Gradle cache endpoint on loopback, in front of `store`; resolves to its base URL. */
async function serveCache (t: import('ava').ExecutionContext, store: ContentStore): Promise<string> {
  const cache = new GradleCacheHandler({ store, logger: silentLogger() })
  const server = createServer((req, res) => { void cache.handle(req, res, (req.url ?? '').slice('/cache/'.length)) })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  t.teardown(async () => { await new Promise(resolve => { server.close(resolve) }) })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/cache/`
}

test('a Gradle PUT under the SHA-256 of a pinned snapshot file or manifest replaces neither: the job still materialises it, and Gradle gets its own bytes back', async t => {
  const { store, snapshot } = await pinnedSnapshot(t)
  const url = await serveCache(t, store)
  // a build (or any client of the cache port) PUTs other bytes under keys that are the snapshot's SHA-256s
  const keys = [snapshot.id, ...snapshot.manifest.entries.flatMap(e => e.type === 'file' ? [e.sha256] : [])]
  for (const key of keys) t.is((await fetch(url + key, { method: 'PUT', body: `gradle entry ${key}` })).status, 200)

  t.deepEqual(await loadManifest(snapshot.id, store), snapshot.manifest)
  const workspace = path.join(await tempDir(t), 'ws')
  await materialise(snapshot.manifest, store, workspace)
  t.is(await readFile(path.join(workspace, 'src/A.java'), 'utf8'), 'class A {}\n')
  for (const key of keys) t.is(await (await fetch(url + key)).text(), `gradle entry ${key}`)
})
