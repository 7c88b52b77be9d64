import type { Command } from 'commander'
import { resolveDataDir } from '../../config/data-dir.js'
import { NodeClient, type NodeClientOptions } from '../../client/node-client.js'
import { OperationError } from '../errors.js'
import { formatBytes } from '../format.js'
import { connectivityHint } from '../connectivity-hint.js'
import type { ConnectivityInfo } from '../../client/api-types.js'

/** Registers `gmesh status`: the running node's state, for people or (`--json`) for scripts. */
export function register (program: Command): void {
  program.command('status')
    .description('show the running node\'s state')
    .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { data?: string, json?: boolean }) => {
      const client = await connect(options.data)
      const status = await client.status()
      process.stdout.write(options.json === true ? JSON.stringify(status, null, 2) + '\n' : describeStatus(status))
    })
}

/**
 * How the CLI's commands talk to a node: one that hangs is reported within about 10 s (5 s, one retry), not the
 * SDK's default of about 30 s (10 s, two retries).
 */
export const CLI_CLIENT_OPTIONS: NodeClientOptions = { timeoutMs: 5000, retries: 1 }

/** Connects to the node at a data dir, turning "not running" into an operation failure (exit 1). */
export async function connect (data?: string): Promise<NodeClient> {
  try {
    return await NodeClient.connect(resolveDataDir(data), CLI_CLIENT_OPTIONS)
  } catch (err) {
    throw new OperationError((err as Error).message)
  }
}

/** The dialler's part of the status (`discovery`). */
interface DialStats { dials: number, failedDials: number, lastDialError?: string }

/** Dials of discovered and bootstrap peers; failures name the newest reason (a peer down, another swarm key). */
function describeDials (discovery: DialStats | undefined): string[] {
  if (discovery == null) return []
  const failed = discovery.failedDials === 0 ? '' : `, ${discovery.failedDials} failed (last: ${discovery.lastDialError ?? 'unknown'})`
  return [`dials    ${discovery.dials}${failed}`]
}

function describeStatus (status: Record<string, unknown>): string {
  const node = status.node as { peerId: string, multiaddrs?: string[], cacheUrl: string, pid: number, dataDir: string }
  const cache = status.cache as { entries: number, bytes: number, maxBytes: number }
  // Gradle's view: GETs answered 200 (from the store or fetched from a peer) or 404.
  const http = (status.http ?? { hits: 0, misses: 0 }) as { hits: number, misses: number }
  const peers = status.peers as unknown[]
  const gets = http.hits + http.misses
  const hitRate = gets === 0 ? '-' : `${Math.round(100 * http.hits / gets)}%`
  const hint = connectivityHint(peers.length, status.connectivity as ConnectivityInfo | undefined)
  const addresses = node.multiaddrs ?? []
  return [
    `node     ${node.peerId} (pid ${node.pid})`,
    ...(addresses.length === 0 ? [] : [`address  ${addresses.join(', ')}`]),
    `cache    ${node.cacheUrl}`,
    `data     ${node.dataDir}`,
    `entries  ${cache.entries} (${formatBytes(cache.bytes)} of ${formatBytes(cache.maxBytes)})`,
    `GETs     ${http.hits} hits, ${http.misses} misses (hit rate ${hitRate})`,
    `peers    ${peers.length}`,
    ...describeDials(status.discovery as DialStats | undefined),
    ...(hint == null ? [] : [`hint     ${hint}`]),
    ''
  ].join('\n')
}
