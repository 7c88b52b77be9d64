import test from 'ava'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { renderInitScript } from '../../src/gradle/init-script.js'
import { installInitScript } from '../../src/gradle/install-init-script.js'
import { runGmesh } from '../helpers/gmesh-node.js'
import { MESH_TEST_TIMEOUT_MS, startMeshNode } from '../node/mesh/helpers.js'
import { describeStatus, initGradleCommand, removeInitGradleCommand } from '../../src/cli/commands/status.js'
import { resolveDataDir } from '../../src/config/data-dir.js'
import type { ConnectivityInfo } from '../../src/client/api-types.js'

test('gmesh status warns when the installed init script points Gradle at another cache than this node\'s', async t => {
  t.timeout(MESH_TEST_TIMEOUT_MS, 'a gmesh process on a shared 2-core machine')
  const node = await startMeshNode(t)
  const home = await mkdtemp(path.join(tmpdir(), 'gmesh-status-gradle-'))
  t.teardown(async () => { await rm(home, { recursive: true, force: true }) })
  const env = { GRADLE_USER_HOME: home }
  const file = path.join(home, 'init.d', 'gmesh.gradle')

  const none = await runGmesh(t, ['status', '--data', node.dataDir, '--json'], env)
  t.is(none.code, 0, none.stderr)
  t.is((JSON.parse(none.stdout) as { gradleInitScript: unknown }).gradleInitScript, null, 'no script installed')

  // As after `gmesh init-gradle` for a node that has since been started on another port.
  const stale = 'http://127.0.0.1:9/cache/'
  await installInitScript(home, renderInitScript({ cacheUrl: stale, installed: true }))
  const text = await runGmesh(t, ['status', '--data', node.dataDir], env)
  t.is(text.code, 0, text.stderr)
  // the node's data dir is not the default one: the fix has to name it, or it would point Gradle at another node
  t.true(text.stdout.includes(`warning  ${file} points Gradle at ${stale}, not at this node's ${node.info.cacheUrl}: ` +
    `run gmesh init-gradle --data ${node.dataDir} for this node`), text.stdout)
  const given = await runGmesh(t, ['status', '--data', node.dataDir, '--gradle-user-home', home], {})
  t.true(given.stdout.includes(`run gmesh init-gradle --data ${node.dataDir} --gradle-user-home ${home} for this node ` +
    `(or gmesh init-gradle --remove --gradle-user-home ${home})`), given.stdout)
  const json = await runGmesh(t, ['status', '--data', node.dataDir, '--json'], env)
  t.deepEqual((JSON.parse(json.stdout) as { gradleInitScript: unknown }).gradleInitScript, { file, cacheUrl: stale, current: false, readOnly: false })

  await installInitScript(home, renderInitScript({ cacheUrl: node.info.cacheUrl, installed: true }))
  const current = await runGmesh(t, ['status', '--data', node.dataDir], env)
  t.false(current.stdout.includes('warning'), current.stdout)
  t.true(current.stdout.includes(`gradle   ${file} uses this node's cache`), current.stdout)
})

function status (privateMesh: boolean, mdnsOff?: string): Record<string, unknown> {
  const connectivity: ConnectivityInfo = { privateMesh, mdns: mdnsOff == null, ...(mdnsOff == null ? {} : { mdnsOff }), bootstrap: 0, failures: { handshake: { inbound: 0, outbound: 0, timedOut: 0, refused: 0 }, unreachable: 0 } }
  return {
    node: { peerId: '12D3KooWA', pid: 7, cacheUrl: 'http://127.0.0.1:5071/cache/', dataDir: '/d', multiaddrs: ['/ip4/10.0.0.5/tcp/5072'] },
    cache: { entries: 0, bytes: 0, maxBytes: 1024 },
    http: { hits: 0, misses: 0 },
    peers: [{}],
    connectivity
  }
}

test('gmesh status says a mesh without a swarm key is open to any host that reaches the node', t => {
  t.regex(describeStatus(status(false), null), /^mesh {5}open \(no --swarm-key\): any host running gmesh that reaches this node joins/m)
})

test('gmesh status says a mesh with a swarm key is private', t => {
  t.regex(describeStatus(status(true), null), /^mesh {5}private: only nodes with the same --swarm-key connect$/m)
})

test('gmesh status says whether mDNS runs, and why not', t => {
  t.regex(describeStatus(status(true), null), /^mdns {5}on: finds gmesh nodes on the LAN$/m)
  t.regex(describeStatus(status(true, 'every listen address is loopback: no other machine could connect'), null), /^mdns {5}off: every listen address is loopback/m)
})

test('a node without a mesh shows no mesh line', t => {
  const { connectivity: _, ...local } = status(false)
  t.notRegex(describeStatus(local, null), /^(mesh|mdns)/m)
})

test('the init-gradle a stale-script warning suggests names --data only for a data dir other than the default', t => {
  t.is(initGradleCommand(resolveDataDir()), 'gmesh init-gradle')
  t.is(initGradleCommand('/srv/gmesh b', '/g'), "gmesh init-gradle --data '/srv/gmesh b' --gradle-user-home /g")
  t.is(initGradleCommand('/d2', undefined, true), 'gmesh init-gradle --read-only --data /d2', 'a read-only script is fixed by a read-only one')
  const stale = { file: '/g/init.d/gmesh.gradle', cacheUrl: 'http://127.0.0.1:18311/cache/', current: false, readOnly: false }
  t.regex(describeStatus(status(true), stale, { fix: initGradleCommand('/d2'), remove: removeInitGradleCommand() }),
    /^warning .* not at this node's http:\/\/127\.0\.0\.1:5071\/cache\/: run gmesh init-gradle --data \/d2 for this node \(or gmesh init-gradle --remove\)$/m)
})

test('the --remove a stale read-only script\'s warning suggests is one init-gradle takes: no --read-only, the same --gradle-user-home', async t => {
  const box = await mkdtemp(path.join(tmpdir(), 'gmesh-status-remove-'))
  t.teardown(async () => { await rm(box, { recursive: true, force: true }) })
  const home = path.join(box, 'gradle home')
  await installInitScript(home, renderInitScript({ cacheUrl: 'http://127.0.0.1:9/cache/', installed: true, push: false }))
  const stale = { file: path.join(home, 'init.d', 'gmesh.gradle'), cacheUrl: 'http://127.0.0.1:9/cache/', current: false, readOnly: true }
  const warning = describeStatus(status(true), stale, { fix: initGradleCommand('/d2', home, true), remove: removeInitGradleCommand(home) })
  t.true(warning.includes(`run gmesh init-gradle --read-only --data /d2 --gradle-user-home '${home}' for this node ` +
    `(or gmesh init-gradle --remove --gradle-user-home '${home}')`), warning)
  // the suggestion, as a user would paste it, removes the script
  const removal = /\(or gmesh (init-gradle --remove --gradle-user-home) '([^']+)'\)/.exec(warning)
  const result = await runGmesh(t, [...removal![1]!.split(' '), removal![2]!])
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, /^removed /)
})
