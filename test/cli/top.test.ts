import test from 'ava'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runGmesh } from '../helpers/gmesh-node.js'

test('gmesh top --count N exits 1, saying why, when the node answered no read and no table was printed', async t => {
  // a node that is there (its pid lives: this process) but answers every API request with an error
  const server = createServer((_req, res) => { res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"node is stopping"}') })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gmesh-cli-top-'))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    await rm(dataDir, { recursive: true, force: true })
  })
  const httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await writeFile(path.join(dataDir, 'node.json'), JSON.stringify({ peerId: '12D3KooWTest', multiaddrs: [], httpUrl, cacheUrl: `${httpUrl}/cache/`, pid: process.pid }))
  await writeFile(path.join(dataDir, 'token'), 'tok\n', { mode: 0o600 })

  const top = await runGmesh(t, ['top', '--data', dataDir, '--count', '2', '--interval', '10'])
  t.is(top.code, 1, top.stderr)
  t.regex(top.stderr, /^gmesh: no table printed: the node did not answer \(last: .*node is stopping/)
  t.is(top.stdout.match(/^== gmesh top /gm)?.length, 2)
})
