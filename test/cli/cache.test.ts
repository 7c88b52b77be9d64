import test, { type ExecutionContext } from 'ava'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startNode, runGmesh, removeDataDir } from '../helpers/gmesh-node.js'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { ContentStore } from '../../src/cas/store.js'
import { silentLogger } from '../../src/config/logger.js'

const KiB = 1024
const keyOf = (n: number): string => createHash('sha256').update(`offline-${n}`).digest('hex')

interface Stats { entries: number, bytes: number, maxBytes: number }
const stats = async (t: ExecutionContext, dataDir: string): Promise<Stats> => JSON.parse((await runGmesh(t, ['cache', 'stats', '--data', dataDir, '--json'])).stdout) as Stats

test('with no node running, stats and verify leave the cache as it is and gc keeps to the budget the node ran with', async t => {
  const node = await startNode({ args: ['--cache-max', '1MiB'] })
  t.teardown(async () => { await removeDataDir(node) })
  for (let i = 0; i < 6; i++) t.is((await fetch(node.info.cacheUrl + keyOf(i), { method: 'PUT', body: randomBytes(100 * KiB) })).status, 200)
  await node.stop()
  t.like(await stats(t, node.dataDir), { entries: 6, maxBytes: 1024 * KiB }, 'the budget shown is the node\'s')
  t.like(JSON.parse((await runGmesh(t, ['cache', 'verify', '--data', node.dataDir, '--json'])).stdout), { checked: 6, quarantined: 0 })
  t.like(JSON.parse((await runGmesh(t, ['cache', 'gc', '--data', node.dataDir, '--json'])).stdout), { evicted: 0 }, 'within the node\'s own budget')
  const typo = await runGmesh(t, ['cache', 'gc', '--data', node.dataDir, '--cache-max', '5'])
  t.is(typo.code, 2, '--cache-max 5 meant as 5GiB')
  t.regex(typo.stderr, /a bare number is bytes, and 5 bytes would empty the cache; give a unit/)
  t.like(await stats(t, node.dataDir), { entries: 6 }, 'nothing evicted')
  t.like(JSON.parse((await runGmesh(t, ['cache', 'gc', '--data', node.dataDir, '--cache-max', '250KiB', '--json'])).stdout), { evicted: 4 })
  t.like(await stats(t, node.dataDir), { entries: 2, bytes: 200 * KiB })
  t.like(JSON.parse((await runGmesh(t, ['cache', 'gc', '--data', node.dataDir, '--cache-max', '0', '--json'])).stdout), { evicted: 2 }, '0 empties it, as the refusal says')
  t.like(await stats(t, node.dataDir), { entries: 0, bytes: 0 })
})

test('gc --cache-max through a running node evicts down to that size once; the node keeps its own budget', async t => {
  const node = await startNode({ args: ['--cache-max', '1MiB'] })
  t.teardown(async () => { await removeDataDir(node) })
  for (let i = 0; i < 6; i++) t.is((await fetch(node.info.cacheUrl + keyOf(i), { method: 'PUT', body: randomBytes(100 * KiB) })).status, 200)
  t.like(JSON.parse((await runGmesh(t, ['cache', 'gc', '--data', node.dataDir, '--cache-max', '250KiB', '--json'])).stdout), { evicted: 4 })
  t.like(await stats(t, node.dataDir), { entries: 2, maxBytes: 1024 * KiB })
  t.is((await runGmesh(t, ['cache', 'stats', '--data', node.dataDir, '--cache-max', '1KiB'])).code, 2, 'only gc takes a size')
})

test('stats through a running node shows Gradle\'s GETs apart from the store\'s reads; --json keeps the store record', async t => {
  const node = await startNode({ args: ['--cache-max', '1MiB'] })
  t.teardown(async () => { await removeDataDir(node) })
  t.is((await fetch(node.info.cacheUrl + keyOf(0), { method: 'PUT', body: randomBytes(KiB) })).status, 200)
  t.is((await fetch(node.info.cacheUrl + keyOf(0))).status, 200)
  t.is((await fetch(node.info.cacheUrl + keyOf(1))).status, 404)
  const text = await runGmesh(t, ['cache', 'stats', '--data', node.dataDir])
  t.is(text.code, 0, text.stderr)
  t.regex(text.stdout, /^Gradle GETs {2}1 hit, 1 miss \(hit rate 50%; what gmesh status shows\)$/m)
  t.regex(text.stdout, /^store reads {2}\d+ hits?, \d+ miss(es)? \(Gradle GETs, peers served, snapshots\)$/m)
  t.like(await stats(t, node.dataDir), { entries: 1, bytes: KiB, maxBytes: 1024 * KiB })
  t.false('Gradle GETs' in await stats(t, node.dataDir), 'the JSON is the store\'s record, as before')
})

/** A data dir whose cache holds `count` entries of 1 KiB, as a node that ran there leaves it. */
async function cacheWithEntries (dataDir: string, count: number): Promise<void> {
  const store = await ContentStore.open({ dir: path.join(dataDir, 'cas'), maxBytes: 1024 * KiB, logger: silentLogger() })
  for (let i = 0; i < count; i++) await store.put(keyOf(i), randomBytes(KiB))
  await store.close()
}

test('an empty --data, or an empty $GMESH_HOME without it, is a usage error: gc never falls back to another data dir\'s cache', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-emptydata-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const home = path.join(parent, 'home') // its ~/.gmesh is the default data dir
  const gmeshHome = path.join(parent, 'gmesh-home')
  await cacheWithEntries(path.join(home, '.gmesh'), 3)
  await cacheWithEntries(gmeshHome, 3)
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--data', ''], { GMESH_HOME: gmeshHome }, /gmesh: --data is empty: give a directory/],
    [['--data', ' '], { GMESH_HOME: undefined }, /gmesh: --data is empty: give a directory/],
    [[], { GMESH_HOME: '' }, /gmesh: \$GMESH_HOME is set but empty/]
  ]
  for (const [args, env, message] of cases) {
    const result = await runGmesh(t, ['cache', 'gc', ...args, '--cache-max', '0'], { HOME: home, ...env })
    t.is(result.code, 2, `${JSON.stringify({ args, env })}: ${result.stderr}`)
    t.regex(result.stderr, message)
  }
  t.like(await stats(t, path.join(home, '.gmesh')), { entries: 3 }, 'the default cache is untouched')
  t.like(await stats(t, gmeshHome), { entries: 3 }, '$GMESH_HOME\'s cache is untouched')
})

test('a data directory no node has used is named, not created', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-nocache-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const typo = path.join(parent, 'typo')
  const result = await runGmesh(t, ['cache', 'stats', '--data', typo])
  t.is(result.code, 1)
  t.regex(result.stderr, /no cache at .*typo: no node has run with this data directory/)
  await t.throwsAsync(stat(typo), { code: 'ENOENT' })
})

test('bad addresses, a cache budget below 1 MiB and an entry limit above the budget are refused before anything is written', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-badup-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const dataDir = path.join(parent, 'node')
  const cases: Array<[string[], RegExp, string?]> = [
    [['--listen', 'garbage'], /invalid --listen "garbage": .*such as \/ip4\/0\.0\.0\.0\/tcp\/5072/],
    [['--listen', '/ip4/127.0.0.1/tcp/99999'], /invalid --listen .*65535/],
    [['--listen', '/ip4/127.0.0.1/udp/0'], /invalid --listen "\/ip4\/127\.0\.0\.1\/udp\/0": nodes connect over TCP only/, 'a transport libp2p here lacks'],
    [['--bootstrap', '/ip4/127.0.0.1/udp/5072/quic-v1'], /invalid --bootstrap .*TCP only/],
    // a name no resolver is asked about (an empty label), so that the test stays off the network
    [['--http', 'bad..host:0'], /invalid --http "bad\.\.host:0": cannot resolve bad\.\.host \(ENOTFOUND\)/, 'a host nobody resolves'],
    [['--bootstrap', '/ip4/127.0.0.1/tcpp/5072'], /invalid --bootstrap "\/ip4\/127.0.0.1\/tcpp\/5072"/],
    [['--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/notapeerid'], /invalid --bootstrap "\/ip4\/127.0.0.1\/tcp\/1\/p2p\/notapeerid": "notapeerid" is not a peer id/],
    [['--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWabc'], /"12D3KooWabc" is not a peer id/, 'a truncated one'],
    [['--cache-max', '5'], /invalid --cache-max "5": that is 5 bytes, below .*1MiB.*sizes take a unit: 500MiB, 5GiB/, 'a bare number is bytes: it would evict the whole cache'],
    [['--cache-max', '500KiB'], /invalid --cache-max "500KiB": .*below/],
    [['--cache-max', '99999999TiB'], /invalid --cache-max "99999999TiB": too large/],
    [['--cache-max', '1MiB', '--max-entry', '2MiB'], /--max-entry 2MiB is larger than --cache-max 1MiB/],
    [['--cache-max', '1MiB', '--max-entry', '100MiB'], /--max-entry 100MiB is larger/, 'even when it is spelled as the default']
  ]
  for (const [args, message, why] of cases) {
    // loopback only and no mDNS, should a regression let the node start
    const result = await runGmesh(t, ['up', '--data', dataDir, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', ...args])
    t.is(result.code, 2, `${args.join(' ')} ${why ?? ''}`)
    t.regex(result.stderr, message)
  }
  await t.throwsAsync(stat(dataDir), { code: 'ENOENT' })
})

test('a budget smaller than the default entry limit shrinks the limit: a bigger PUT is dropped, the cache kept', async t => {
  const node = await startNode({ args: ['--cache-max', '1MiB'] })
  t.teardown(async () => { await removeDataDir(node) })
  for (const i of [1, 2]) t.is((await fetch(node.info.cacheUrl + keyOf(i), { method: 'PUT', body: randomBytes(10 * KiB) })).status, 200)
  const oversized = await fetch(node.info.cacheUrl + keyOf(3), { method: 'PUT', body: randomBytes(1536 * KiB) })
  t.true(oversized.status >= 200 && oversized.status < 300, `drained and dropped with a 2xx, as Gradle expects: ${oversized.status}`)
  t.is((await fetch(node.info.cacheUrl + keyOf(3))).status, 404)
  for (const i of [1, 2]) t.is((await fetch(node.info.cacheUrl + keyOf(i))).status, 200, 'the entries already there stay')
})

test('gc through a frozen node (it takes connections, answers nothing) fails within seconds, naming the node', async t => {
  t.timeout(60_000)
  const frozen = createServer(() => {}) // as a SIGSTOPped node: the kernel accepts, nothing answers
  frozen.listen(0, '127.0.0.1')
  await once(frozen, 'listening')
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-frozen-'))
  t.teardown(async () => {
    frozen.closeAllConnections()
    frozen.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  const httpUrl = `http://127.0.0.1:${(frozen.address() as AddressInfo).port}`
  await writeFile(path.join(dataDir, 'token'), 'f'.repeat(64))
  // this test's process stands in for the node's pid: alive, so the ready file names a running node
  await writeFile(path.join(dataDir, 'node.json'), JSON.stringify({ peerId: 'p', multiaddrs: [], httpUrl, cacheUrl: `${httpUrl}/cache/`, pid: process.pid }))
  // killed past 30 s, the bound of the old behaviour (waiting forever)
  const child = spawn(process.execPath, [GMESH_BIN, 'cache', 'gc', '--data', dataDir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 })
  let stderr = ''
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'close') as [number | null]
  t.is(code, 1, stderr)
  t.regex(stderr, /the node at http:\/\/127\.0\.0\.1:\d+ did not answer/)
})
