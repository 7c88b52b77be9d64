import test from 'ava'
import { existsSync, watch } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { exposedHttpWarning } from '../../src/cli/commands/up.js'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { NodeClient } from '../../src/client/node-client.js'
import { runGmesh, type NodeProcess } from '../helpers/gmesh-node.js'
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { ContentStore } from '../../src/cas/store.js'
import { silentLogger } from '../../src/config/logger.js'
import { MESH_TEST_TIMEOUT_MS, startMeshNode, swarmKeyArgs } from '../node/mesh/helpers.js'

const OPEN_MESH_WARNING = 'no --swarm-key: this mesh is open, any host on the network running gmesh can join it and serve entries to this ' +
  'node\'s builds; to close it, make a key with gmesh keygen FILE and start every node with --swarm-key FILE'
const MiB = 1024 * 1024
const SOME_PEER = '12D3KooWGzUkb2Ya8Rk9fHtFzK4T8n2bVmrWqEhCjRxYq3uE2s7p'

/**
 * `gmesh up ARGS` on loopback with mDNS off: its exit code and stderr, or 'ready' if it started (then it is killed at
 * once by its pid).
 */
async function upOutcome (dataDir: string, args: string[]): Promise<{ code: number | null, stderr: string } | 'ready'> {
  const child = spawn(process.execPath, [GMESH_BIN, 'up', '--data', dataDir, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', ...args],
    { env: { ...process.env, GMESH_EXIT_WITH_PARENT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const closed = once(child, 'close') as Promise<[number | null]>
  const ready = new Promise<'ready'>(resolve => { child.stdout.on('data', chunk => { if (String(chunk).includes('ready')) resolve('ready') }) })
  const outcome = await Promise.race([closed.then(([code]) => ({ code, stderr })), ready])
  if (outcome === 'ready') {
    process.kill(child.pid!, 'SIGKILL')
    await closed
  }
  return outcome
}

/** Stops the node cleanly and resolves to all it wrote on stderr (its logs are written asynchronously). */
async function stderrWhenStopped (node: NodeProcess): Promise<string> {
  const code = await node.stop()
  if (code !== 0) throw new Error(`the node exited with ${code}: ${node.stderr()}`)
  if (!node.child.stderr!.closed) await once(node.child.stderr!, 'close')
  return node.stderr()
}

test('gmesh up --accept-builds in an open mesh without --trust-submitters is a usage error naming both ways out', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-open-builds-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const outcome = await upOutcome(dataDir, ['--accept-builds'])
  if (outcome === 'ready') {
    t.fail('the node started and accepts builds from anyone')
    return
  }
  t.is(outcome.code, 2, outcome.stderr)
  t.regex(outcome.stderr, /--accept-builds without --swarm-key would run the build code of any host that reaches this node/)
  t.regex(outcome.stderr, /--swarm-key FILE \(make it once with gmesh keygen FILE/)
  t.regex(outcome.stderr, /--trust-submitters ID,ID/)
  t.deepEqual(await readdir(dataDir), [], 'refused before the data dir was touched')
})

test('a node accepting builds from listed submitters starts, and warns once that its mesh is open', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const node = await startMeshNode(t, ['--accept-builds', '--trust-submitters', SOME_PEER])
  const stderr = await stderrWhenStopped(node)
  t.is(stderr.split(OPEN_MESH_WARNING).length - 1, 1, stderr)
})

test('a node with a swarm key accepts builds from any member and gives no open-mesh warning', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const node = await startMeshNode(t, ['--accept-builds', ...await swarmKeyArgs(t)])
  const stderr = await stderrWhenStopped(node)
  t.false(stderr.includes(OPEN_MESH_WARNING), stderr)
  t.false(stderr.includes('not loopback'), 'a node on 127.0.0.1 gives no warning about its HTTP address')
})

test('SIGTERM while the node starts stops it cleanly: exit 0, its lock released, and it says it stopped', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-term-at-start-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const child = spawn(process.execPath, [GMESH_BIN, 'up', '--data', dataDir, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--log-level', 'info'],
    { env: { ...process.env, GMESH_EXIT_WITH_PARENT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL') })
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>
  let stderr = ''
  // the store opens halfway through the start: the data dir is locked, the mesh and the HTTP server are still to come
  const midStart = new Promise<void>(resolve => {
    child.stderr.on('data', chunk => {
      stderr += String(chunk)
      if (stderr.includes('store opened')) resolve()
    })
  })
  await Promise.race([midStart, closed])
  const readyAlready = existsSync(path.join(dataDir, 'node.json'))
  process.kill(child.pid!, 'SIGTERM')
  const [code, signal] = await closed
  t.deepEqual({ code, signal }, { code: 0, signal: null }, stderr)
  t.false(existsSync(path.join(dataDir, 'lock')), 'the data dir is released')
  t.false(existsSync(path.join(dataDir, 'node.json')), 'no ready file left')
  const said = /"msg":"(stopped while starting|stopped)"/.exec(stderr)
  t.truthy(said, stderr)
  t.log(readyAlready || said?.[1] === 'stopped' ? 'the node was ready before SIGTERM arrived: its ordinary stop was tested' : 'stopped while starting')
})

test('a node whose --http other hosts reach is warned that its cache and /metrics take no token', t => {
  const warning = exposedHttpWarning('0.0.0.0')
  t.regex(warning, /--http on 0\.0\.0\.0, not loopback/)
  t.regex(warning, /read and write this node's cache and read \/metrics/)
  t.regex(warning, /keep --http on 127\.0\.0\.1/)
})

/** Resolves once `DIR/node.json` exists (the node is ready), or rejects if the node exits first. */
async function readyFile (dataDir: string, exited: Promise<unknown>): Promise<void> {
  const file = path.join(dataDir, 'node.json')
  const watcher = watch(dataDir) // watching before the first look: a file written in between is not missed
  try {
    const written = new Promise<void>(resolve => {
      watcher.on('change', () => { if (existsSync(file)) resolve() })
      if (existsSync(file)) resolve()
    })
    await Promise.race([written, exited.then(() => { throw new Error('the node exited before it was ready') })])
  } finally {
    watcher.close()
  }
}

test('a node whose stdout reader is gone keeps serving after its ready banner, and stops cleanly', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-stdout-gone-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const child = spawn(process.execPath, [GMESH_BIN, 'up', '--data', dataDir, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--log-level', 'warn'],
    { env: { ...process.env, GMESH_EXIT_WITH_PARENT: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL') })
  child.stdout.destroy() // the reader is gone (`gmesh up | head -c 0`): the banner's write fails with EPIPE
  let stderr = ''
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>
  await readyFile(dataDir, closed)
  const client = await NodeClient.connect(dataDir)
  const info = await client.node().catch((err: Error) => { throw new Error(`${err.message}\n${stderr}`) })
  t.is(info.pid, child.pid!, 'the node answers after it became ready')
  process.kill(child.pid!, 'SIGTERM')
  const [code, signal] = await closed
  t.deepEqual({ code, signal }, { code: 0, signal: null }, stderr)
  t.false(stderr.includes('EPIPE'), stderr)
  t.false(existsSync(path.join(dataDir, 'lock')), 'the data dir is released')
  t.false(existsSync(path.join(dataDir, 'node.json')), 'no ready file left')
})

test('gmesh up --data naming a file, or a path under one, says so: exit 2, not "(EEXIST): choose a writable one"', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-datafile-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const file = path.join(parent, 'a-file')
  await writeFile(file, 'not a directory\n')
  const cases: Array<[string, RegExp]> = [
    [file, /gmesh: --data \S*a-file is a file, not a directory/],
    [path.join(file, 'node'), /gmesh: --data \S*a-file\/node: a directory above it is a file, not a directory/]
  ]
  for (const [dataDir, message] of cases) {
    const result = await runGmesh(t, ['up', '--data', dataDir, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    t.is(result.code, 2, result.stderr)
    t.regex(result.stderr, message)
    t.notRegex(result.stderr, /EEXIST|ENOTDIR/)
  }
  t.is(await readFile(file, 'utf8'), 'not a directory\n')
})

test('an empty --trust-producers or --trust-submitters is a usage error, not "any member"; so is an empty --data', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-emptylist-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const dataDir = path.join(parent, 'data')
  for (const flag of ['--trust-producers', '--trust-submitters']) {
    for (const list of ['', ',', ' , ']) {
      const extra = flag === '--trust-submitters' ? ['--accept-builds'] : []
      const outcome = await upOutcome(dataDir, [flag, list, ...extra])
      t.not(outcome, 'ready', `${flag} "${list}" started a node`)
      if (outcome === 'ready') continue
      t.is(outcome.code, 2, outcome.stderr)
      t.true(outcome.stderr.includes(`gmesh: ${flag} "${list}" names no peer, and an empty list would trust any member`), outcome.stderr)
    }
  }
  t.false(existsSync(dataDir), 'nothing written')
  const home = path.join(parent, 'home')
  const result = await runGmesh(t, ['up', '--data', '', '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'],
    { HOME: home, GMESH_HOME: dataDir, GMESH_EXIT_WITH_PARENT: '1' })
  t.is(result.code, 2, result.stderr)
  t.regex(result.stderr, /gmesh: --data is empty/)
  t.false(existsSync(dataDir) || existsSync(home), 'neither $GMESH_HOME nor ~/.gmesh is made')
})

test('a port taken, for HTTP or for peers, fails the start before the cache changes: no start-up eviction, the budget file kept', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-taken-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const dataDir = path.join(parent, 'node')
  const store = await ContentStore.open({ dir: path.join(dataDir, 'cas'), maxBytes: 64 * MiB, logger: silentLogger() })
  for (let i = 0; i < 8; i++) await store.put(createHash('sha256').update(`taken-${i}`).digest('hex'), randomBytes(MiB / 4))
  await store.close()
  const budgetFile = path.join(dataDir, 'cache-budget.json')
  await writeFile(budgetFile, JSON.stringify({ maxBytes: 64 * MiB }))
  const taken = createServer()
  await new Promise<void>(resolve => { taken.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { taken.close() })
  const port = (taken.address() as AddressInfo).port
  const cases: Array<[string[], RegExp]> = [
    [['--http', `127.0.0.1:${port}`, '--listen', '/ip4/127.0.0.1/tcp/0'], /cannot serve HTTP on 127\.0\.0\.1:\d+: the port is already in use/],
    [['--http', '127.0.0.1:0', '--listen', `/ip4/127.0.0.1/tcp/${port}`], /cannot listen for peers on \/ip4\/127\.0\.0\.1\/tcp\/\d+: the port is already in use/]
  ]
  for (const [args, message] of cases) {
    const result = await runGmesh(t, ['up', '--data', dataDir, '--cache-max', '1MiB', '--no-mdns', ...args], { GMESH_EXIT_WITH_PARENT: '1' })
    t.is(result.code, 1, result.stderr)
    t.regex(result.stderr, message)
    t.notRegex(result.stderr, /evicted/, 'nothing evicted')
    t.false(existsSync(path.join(dataDir, 'lock')), 'the data dir released')
  }
  const reopened = await ContentStore.open({ dir: path.join(dataDir, 'cas'), maxBytes: 64 * MiB, logger: silentLogger() })
  t.is(reopened.stats().entries, 8, 'every entry is still there')
  await reopened.close()
  t.is(await readFile(budgetFile, 'utf8'), JSON.stringify({ maxBytes: 64 * MiB }), 'the budget of the last run that started is kept')
})

test('gmesh up --swarm-key naming a missing file or one that is not a swarm key is a usage error (exit 2), before the data dir is made', async t => {
  const parent = await mkdtemp(path.join(tmpdir(), 'gmesh-badkey-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  const notAKey = path.join(parent, 'not-a-key')
  await writeFile(notAKey, 'hello\n')
  for (const [key, message] of [[path.join(parent, 'missing'), /cannot use swarm key \S*missing: .*ENOENT/], [notAKey, /cannot use swarm key \S*not-a-key/]] as const) {
    const dataDir = path.join(parent, 'data')
    const result = await runGmesh(t, ['up', '--data', dataDir, '--swarm-key', key, '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    t.is(result.code, 2, result.stderr)
    t.regex(result.stderr, message)
    t.false(existsSync(dataDir), 'nothing written')
  }
})
