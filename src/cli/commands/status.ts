import type { Command } from 'commander'
import path from 'node:path'
import { resolveDataDir } from '../../config/data-dir.js'
import { NodeClient, type NodeClientOptions } from '../../client/node-client.js'
import { OperationError } from '../errors.js'
import { formatBytes, formatHitRate } from '../format.js'
import { connectivityHint } from '../connectivity-hint.js'
import type { ConnectivityInfo } from '../../client/api-types.js'
import { installedScriptFor, resolveGradleUserHome, type InstalledScript } from '../../gradle/install-init-script.js'

/** Registers `gmesh status`: the running node's state, for people or (`--json`) for scripts. */
export function register (program: Command): void {
  program.command('status')
    .description('show the running node\'s state, and warn when Gradle\'s init.d/gmesh.gradle points at another node\'s cache')
    .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
    .option('--json', 'print JSON for scripts')
    .option('--gradle-user-home <dir>', 'Gradle user home whose init.d/gmesh.gradle is checked (default $GRADLE_USER_HOME or ~/.gradle)')
    .action(async (options: { data?: string, json?: boolean, gradleUserHome?: string }) => {
      const gradleUserHome = resolveGradleUserHome(options.gradleUserHome) // an empty one is a usage error before any node is asked
      const client = await connect(options.data)
      const status = await client.status()
      const node = status.node as { cacheUrl: string, dataDir: string }
      // null: no script of gmesh's installed (builds use the node only through gmesh gradle)
      const gradleInitScript = await installedScriptFor(gradleUserHome, node.cacheUrl) ?? null
      process.stdout.write(options.json === true
        ? JSON.stringify({ ...status, gradleInitScript }, null, 2) + '\n'
        : describeStatus(status, gradleInitScript, {
          fix: initGradleCommand(node.dataDir, options.gradleUserHome, gradleInitScript?.readOnly === true),
          remove: removeInitGradleCommand(options.gradleUserHome)
        }))
    })
}

/**
 * The `gmesh init-gradle` that points Gradle at the node in `dataDir`: with `--data` unless that is the directory
 * init-gradle takes without it, with the `--gradle-user-home` status was given, and `--read-only` when the installed
 * script has it (without, the fix would turn pushing on for every build of the user).
 */
export function initGradleCommand (dataDir: string, gradleUserHome?: string, readOnly = false): string {
  const words = ['gmesh', 'init-gradle']
  if (readOnly) words.push('--read-only')
  if (path.resolve(dataDir) !== defaultDataDir()) words.push('--data', shellWord(dataDir))
  words.push(...gradleUserHomeWords(gradleUserHome))
  return words.join(' ')
}

/**
 * The `gmesh init-gradle --remove` that deletes the installed script: with the `--gradle-user-home` status was given,
 * and nothing else (--remove refuses --read-only and --force, and needs no node, so no --data).
 */
export function removeInitGradleCommand (gradleUserHome?: string): string {
  return ['gmesh', 'init-gradle', '--remove', ...gradleUserHomeWords(gradleUserHome)].join(' ')
}

function gradleUserHomeWords (gradleUserHome: string | undefined): string[] {
  return gradleUserHome == null || gradleUserHome === '' ? [] : ['--gradle-user-home', shellWord(path.resolve(gradleUserHome))]
}

/** The data dir init-gradle takes without --data; undefined when it takes none (an empty $GMESH_HOME is refused). */
function defaultDataDir (): string | undefined {
  try {
    return resolveDataDir()
  } catch {
    return undefined
  }
}

/** `text` as one word for a POSIX shell: as it is when safe, else in single quotes. */
function shellWord (text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`
}

/** The commands a stale-script warning suggests: `fix` points Gradle at this node, `remove` deletes the script. */
export interface InitGradleCommands { fix: string, remove: string }

const PLAIN_INIT_GRADLE: InitGradleCommands = { fix: 'gmesh init-gradle', remove: 'gmesh init-gradle --remove' }

/**
 * The installed init script's line: this node's cache, or a warning that Gradle is pointed elsewhere, with the
 * exact `gmesh init-gradle` that points it at this node and the one that removes it.
 */
export function describeInitScript (script: InstalledScript | null, nodeCacheUrl: string, commands = PLAIN_INIT_GRADLE): string[] {
  if (script == null) return []
  if (script.current) return [`gradle   ${script.file} uses this node's cache`]
  return [`warning  ${script.file} points Gradle at ${script.cacheUrl}, not at this node's ${nodeCacheUrl}: ` +
    `run ${commands.fix} for this node (or ${commands.remove})`]
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

/**
 * Whether strangers can join (a mesh without a swarm key is open to any host that reaches the node), and whether the
 * node looks for peers on the LAN.
 */
function describeMesh (connectivity: ConnectivityInfo | undefined): string[] {
  if (connectivity == null) return []
  return [
    connectivity.privateMesh
      ? 'mesh     private: only nodes with the same --swarm-key connect'
      : 'mesh     open (no --swarm-key): any host running gmesh that reaches this node joins and may serve it entries',
    connectivity.mdns ? 'mdns     on: finds gmesh nodes on the LAN' : `mdns     off: ${connectivity.mdnsOff ?? '--no-mdns'}`
  ]
}

/** `gmesh status` for people. */
export function describeStatus (status: Record<string, unknown>, initScript: InstalledScript | null, initGradle?: InitGradleCommands): string {
  const node = status.node as { peerId: string, multiaddrs?: string[], cacheUrl: string, pid: number, dataDir: string }
  const cache = status.cache as { entries: number, bytes: number, maxBytes: number }
  // Gradle's view: GETs answered 200 (from the store or fetched from a peer) or 404.
  const http = (status.http ?? { hits: 0, misses: 0 }) as { hits: number, misses: number }
  const peers = status.peers as unknown[]
  const hitRate = formatHitRate(http.hits, http.misses)
  const connectivity = status.connectivity as ConnectivityInfo | undefined
  const hint = connectivityHint(peers.length, connectivity)
  const addresses = node.multiaddrs ?? []
  return [
    `node     ${node.peerId} (pid ${node.pid})`,
    ...(addresses.length === 0 ? [] : [`address  ${addresses.join(', ')}`]),
    ...describeMesh(connectivity),
    `cache    ${node.cacheUrl}`,
    `data     ${node.dataDir}`,
    `entries  ${cache.entries} (${formatBytes(cache.bytes)} of ${formatBytes(cache.maxBytes)})`,
    `GETs     ${http.hits} hits, ${http.misses} misses (hit rate ${hitRate})`,
    `peers    ${peers.length}`,
    ...describeDials(status.discovery as DialStats | undefined),
    ...(hint == null ? [] : [`hint     ${hint}`]),
    ...describeInitScript(initScript, node.cacheUrl, initGradle),
    ''
  ].join('\n')
}
