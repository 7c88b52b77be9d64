import test, { type ExecutionContext } from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startNode, runGmesh, removeDataDir } from '../helpers/gmesh-node.js'

const keyOf = (n: number): string => createHash('sha256').update(`crash-${n}`).digest('hex')

/**
 * Where a `gmesh up` expected to fail would run if it did not: loopback only, no mDNS (given before the options
 * under test, which a later --http overrides and a --listen adds to).
 */
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--http', '127.0.0.1:0']

/** A data dir of the test's own, removed when it ends: not ~/.gmesh. */
async function tempDataDir (t: ExecutionContext): Promise<string> {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-badup-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  return path.join(parent, 'node')
}

test('a node says where it serves, answers status, and cleans up on SIGTERM', async t => {
  const node = await startNode()
  t.teardown(async () => { await removeDataDir(node) })
  t.regex(node.info.cacheUrl, /^http:\/\/127\.0\.0\.1:\d+\/cache\/$/)
  t.is(node.info.pid, node.child.pid ?? -1)
  const status = await runGmesh(t, ['status', '--data', node.dataDir, '--json'])
  t.is(status.code, 0, status.stderr)
  const parsed = JSON.parse(status.stdout) as { node: { peerId: string }, cache: { entries: number } }
  t.is(parsed.node.peerId, node.info.peerId)
  t.is(parsed.cache.entries, 0)
  t.is((await fetch(node.info.cacheUrl + keyOf(1), { method: 'PUT', body: randomBytes(1000) })).status, 200)
  t.is((await fetch(node.info.cacheUrl + keyOf(1))).status, 200)
  t.is((await fetch(node.info.cacheUrl + keyOf(2))).status, 404)
  const text = await runGmesh(t, ['status', '--data', node.dataDir])
  t.regex(text.stdout, /^entries +1 \(1000 B of 5\.0 GiB\)$/m)
  t.regex(text.stdout, /^GETs +1 hits, 1 misses \(hit rate 50%\)$/m, 'Gradle\'s GETs, as the node answered them')
  t.regex(text.stdout, /^dials +0$/m, 'a node alone has dialled nobody')
  t.is(await node.stop(), 0)
  const left = await readdir(node.dataDir)
  t.false(left.includes('node.json'), 'no stale ready file')
  t.false(left.includes('lock'), 'the data dir is released')
  t.is((await runGmesh(t, ['status', '--data', node.dataDir])).code, 1, 'status of a stopped node fails')
})

test('a second node on the same data dir, or on a taken port, fails with a clear message', async t => {
  const node = await startNode()
  t.teardown(async () => { await removeDataDir(node) })
  const sameDir = await runGmesh(t, ['up', '--data', node.dataDir, ...LOOPBACK])
  t.is(sameDir.code, 1)
  t.regex(sameDir.stderr, new RegExp(`in use by another gmesh node \\(pid ${node.info.pid}\\)`))
  const port = new URL(node.info.httpUrl).port
  const other = await startNodeExpectingFailure(t, ['--listen', '/ip4/127.0.0.1/tcp/0', '--http', `127.0.0.1:${port}`])
  t.is(other.code, 1)
  t.regex(other.stderr, /port is already in use/)
  const p2p = node.info.multiaddrs.find(a => a.startsWith('/ip4/127.0.0.1/tcp/'))!.replace(/\/p2p\/.*$/, '')
  const sameListen = await startNodeExpectingFailure(t, ['--http', '127.0.0.1:0', '--listen', p2p])
  t.is(sameListen.code, 1)
  t.regex(sameListen.stderr, new RegExp(`cannot listen for peers on ${p2p}: the port is already in use .*; choose another with --listen /ip4/127\\.0\\.0\\.1/tcp/PORT$`, 'm'),
    'the same host as given: a loopback node is not told to listen on every interface')
  t.notRegex(sameListen.stderr, /faultTolerance|at Server/, 'none of libp2p\'s own advice or stack')
})

/** `gmesh up` in a temp data dir without mDNS; `args` give its --http and --listen (loopback ones). */
async function startNodeExpectingFailure (t: ExecutionContext, args: string[]): Promise<{ code: number | null, stderr: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-node-'))
  try {
    return await runGmesh(t, ['up', '--data', dir, '--no-mdns', ...args])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('bad options are usage errors with exit code 2', async t => {
  const dataDir = await tempDataDir(t)
  for (const args of [['--http', 'nowhere'], ['--cache-max', 'lots'], ['--log-level', 'loud'], ['--no-such-flag']]) {
    const result = await runGmesh(t, ['up', '--data', dataDir, ...LOOPBACK, ...args])
    t.is(result.code, 2, args.join(' '))
    t.regex(result.stderr, /invalid|unknown option/, args.join(' '))
  }
})

test('a trust list with something that is not a peer id is refused before the node starts', async t => {
  const dataDir = await tempDataDir(t)
  for (const flag of ['--trust-submitters', '--trust-producers']) {
    const result = await runGmesh(t, ['up', '--data', dataDir, ...LOOPBACK, flag, '12D3KooWGzUkb2Ya8Rk9fHtFzK4T8n2bVmrWqEhCjRxYq3uE2s7p,bob'])
    t.is(result.code, 2, flag)
    t.regex(result.stderr, /"bob" is not a peer id/, flag)
  }
})

test('a node killed with SIGKILL during a stream of PUTs restarts with a consistent store', async t => {
  const first = await startNode()
  t.teardown(async () => { await removeDataDir(first) })
  const acknowledged = new Map<string, Buffer>()
  let n = 0
  const writer = async (): Promise<void> => {
    for (;;) {
      const key = keyOf(n++)
      const body = randomBytes(64 * 1024 + n)
      const res = await fetch(`${first.info.cacheUrl}${key}`, { method: 'PUT', body }).catch(() => undefined)
      if (res == null) return
      if (res.status === 200) acknowledged.set(key, body)
      if (acknowledged.size === 200) { await first.kill(); return }
    }
  }
  await Promise.all(Array.from({ length: 8 }, writer))
  const second = await startNode({ dataDir: first.dataDir })
  t.teardown(async () => { await second.kill() })
  for (const [key, body] of acknowledged) {
    const res = await fetch(`${second.info.cacheUrl}${key}`)
    t.is(res.status, 200, `acknowledged entry ${key} survives`)
    t.true(Buffer.from(await res.arrayBuffer()).equals(body))
  }
  const verify = await runGmesh(t, ['cache', 'verify', '--data', first.dataDir, '--json'])
  const checked = JSON.parse(verify.stdout) as { checked: number, quarantined: number }
  t.is(checked.quarantined, 0, 'every indexed blob verifies')
  const stats = JSON.parse((await runGmesh(t, ['cache', 'stats', '--data', first.dataDir, '--json'])).stdout) as { entries: number }
  const cas = path.join(first.dataDir, 'cas')
  t.deepEqual(await readdir(path.join(cas, 'tmp')), [], 'no temp file left after start')
  const blobs = (await readdir(path.join(cas, 'blobs'), { recursive: true, withFileTypes: true })).filter(e => e.isFile())
  t.is(blobs.length, stats.entries, 'every blob on disk is indexed (no orphan), every entry has its blob')
  t.is(checked.checked, stats.entries)
  t.true((await stat(path.join(cas, 'index'))).isDirectory())
})
