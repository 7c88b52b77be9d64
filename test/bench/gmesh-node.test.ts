import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { makeEntries, putEntries, verifyServes } from '../../bench/lib/cache-fixtures.js'
import { GmeshNode } from '../../bench/lib/gmesh-node.js'
import { processes } from '../../bench/lib/processes.js'

test('the bench drives the real gmesh up: ready file, PUT then GET of the same bytes, status counters, stop by pid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-bench-node-test-'))
  const node = new GmeshNode(join(dir, 'data'))
  try {
    const info = await node.start()
    t.regex(info.cacheUrl, /^http:\/\/127\.0\.0\.1:\d+\/cache\/$/)
    const entries = makeEntries(3, 5120)
    await putEntries(info.cacheUrl, entries)
    for (const e of entries) await verifyServes('node', info.cacheUrl, e)
    const status = await node.status() as { http: { hits: number, stored: number } }
    t.is(status.http.stored, 3)
    t.is(status.http.hits, 3)
    const pid = node.pid
    await node.stop()
    t.false(processes.list().some((p) => p.pid === pid))
    t.throws(() => process.kill(pid ?? 0, 0), { code: 'ESRCH' })
  } finally {
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  }
})
