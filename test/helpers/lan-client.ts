// Runs on a host of a test LAN (inside its network namespace), next to that host's node, whose
// loopback HTTP server no process outside the namespace can reach. Prints one JSON value.
//   lan-client.js put <dataDir> <key> <file>        PUT the file as a cache entry: {"status":200}
//   lan-client.js get <dataDir> <key> <file>        GET the entry into the file: {"status":200,"bytes":5000}
//   lan-client.js await <dataDir> <peerId> <keys>   the status, once the peer is a connected member and the index holds `keys` keys
//   lan-client.js await-failed-dial <dataDir>       the status, once the node has failed to dial a peer it discovered
//   lan-client.js status <dataDir>                  the status (what `gmesh status --json` prints)
import { readFile, writeFile } from 'node:fs/promises'
import { NodeClient } from '../../src/client/node-client.js'
import { awaitStatus, meshStatus } from '../node/mesh/helpers.js'

async function cacheUrl (dataDir: string, key: string): Promise<string> {
  return `${(await NodeClient.connect(dataDir)).info.httpUrl}/cache/${key}`
}

async function main (args: string[]): Promise<unknown> {
  const [command, dataDir, ...rest] = args
  if (dataDir == null) throw new Error('usage: lan-client.js put|get|await|status <dataDir> ...')
  switch (command) {
    case 'put': {
      const response = await fetch(await cacheUrl(dataDir, rest[0]!), { method: 'PUT', body: await readFile(rest[1]!) })
      return { status: response.status }
    }
    case 'get': {
      const response = await fetch(await cacheUrl(dataDir, rest[0]!))
      const body = Buffer.from(await response.arrayBuffer())
      await writeFile(rest[1]!, body)
      return { status: response.status, bytes: body.byteLength }
    }
    case 'await': {
      const [peerId, keys] = [rest[0]!, Number(rest[1] ?? 0)]
      return await awaitStatus({ dataDir }, `a connected peer ${peerId} with ${keys} indexed keys`, status =>
        status.peers.some(p => p.peerId === peerId && p.connected) && status.sharing.protocol.indexedKeys >= keys)
    }
    case 'await-failed-dial':
      return await awaitStatus({ dataDir }, 'a failed dial of a discovered peer', status => (status.discovery?.failedDials ?? 0) > 0)
    case 'status': return await meshStatus({ dataDir })
    default: throw new Error(`unknown lan-client command ${String(command)}`)
  }
}

try {
  process.stdout.write(JSON.stringify(await main(process.argv.slice(2))) + '\n')
} catch (err) {
  process.stderr.write(`lan-client: ${(err as Error).message}\n`)
  process.exitCode = 1
}
