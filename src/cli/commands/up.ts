import { onStopSignals } from '../stop-signals.js'
import type { Command } from 'commander'
import { multiaddr } from '@multiformats/multiaddr'
import { resolveDataDir } from '../../config/data-dir.js'
import { isLoopbackHost, parseHostPort, parsePositiveInt, parseSize, type HostPort } from '../../config/parse.js'
import { createLogger, LOG_LEVELS, type LogLevel } from '../../config/logger.js'
import { UsageError } from '../errors.js'
import { refuseFile } from '../dir-option.js'
import { DEFAULT_CACHE_MAX, MIN_CACHE_MAX } from '../../cas/store-options.js'
import { DEFAULT_MAX_ENTRY_BYTES } from '../../gradle/http-cache.js'
import { MAX_REPLICAS } from '../../../protocols/cache/rendezvous.js'


interface UpOptions {
  data?: string
  http: string
  listen?: string[]
  bootstrap?: string[]
  swarmKey?: string
  mdns: boolean
  acceptBuilds?: boolean
  slots?: string
  replicas: string
  trustProducers?: string
  trustSubmitters?: string
  announce: boolean
  cacheMax: string
  maxEntry?: string
  fsync: boolean
  logLevel: string
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Registers `gmesh up`: runs a node in the foreground until SIGINT, SIGTERM or SIGHUP. */
export function register (program: Command): void {
  program.command('up')
    .description('run a node in the foreground (SIGINT, SIGTERM or SIGHUP stop it cleanly)')
    .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
    .option('--http <host:port>', 'where to serve the Gradle cache and the control API (:PORT is 127.0.0.1:PORT; port 0 picks a free one)', '127.0.0.1:5071')
    .option('--listen <multiaddr>', 'where peers connect (repeatable; default /ip4/0.0.0.0/tcp/5072)', collect)
    .option('--bootstrap <multiaddr>', 'a peer to join through, e.g. /ip4/10.0.0.5/tcp/5072/p2p/12D3Koo... (repeatable)', collect)
    .option('--swarm-key <file>', 'private mesh key (see gmesh keygen): only nodes with the same key connect; without it any host running gmesh that reaches this node joins')
    .option('--no-mdns', 'do not discover peers on the LAN by multicast DNS (off anyway when every --listen address is loopback)')
    .option('--accept-builds', 'run build units for trusted peers (needs --swarm-key or --trust-submitters: a unit runs its submitter\'s code)')
    .option('--slots <n>', 'build units run at once with --accept-builds (default: CPU cores)')
    .option('--replicas <n>', 'push each entry built here to this many peers, so it outlives this machine', '0')
    .option('--trust-producers <peer-ids>', 'accept cache entries only from these peers, and run the builds this node submits only on them (comma-separated; default: any member)')
    .option('--trust-submitters <peer-ids>', 'with --accept-builds, run units only of builds these peers submit (comma-separated; default: any member of the private mesh)')
    .option('--no-announce', 'keep this node\'s own builds local: read from the mesh, never offer to it')
    .option('--cache-max <size>', 'size budget of the local cache; least recently used entries go first', `${DEFAULT_CACHE_MAX / 1024 ** 3}GiB`)
    .option('--max-entry <size>', `largest cache entry kept; bigger ones are dropped (default: ${DEFAULT_MAX_ENTRY_BYTES / 1024 ** 2}MiB, or --cache-max if smaller)`)
    .option('--no-fsync', 'do not fsync blobs before indexing them: more PUTs per second; a power loss may lose recent entries (a damaged blob is still never served)')
    .option('--log-level <level>', `one of ${LOG_LEVELS.join(', ')}`, 'info')
    .action(async (options: UpOptions) => { await up(options) })
}

async function up (options: UpOptions): Promise<void> {
  const config = await nodeConfig(options)
  const { Daemon } = await import('../../../node/daemon.js')
  // heard from before the start: a Ctrl-C or SIGTERM while the node starts stops it cleanly too (lock released)
  const stop = stopRequests()
  let daemon: import('../../../node/daemon.js').Daemon
  try {
    daemon = await Daemon.start(config, { signal: stop.signal })
  } catch (err) {
    if (!stop.signal.aborted) throw err
    config.logger.info({ signal: await stop.requested }, 'stopped while starting')
    config.logger.flush()
    return
  }
  if (config.mesh?.swarmKey == null) daemon.logger.warn(OPEN_MESH_WARNING)
  if (!isLoopbackHost(config.http.host)) daemon.logger.warn(exposedHttpWarning(config.http.host))
  const { peerId, cacheUrl, multiaddrs } = daemon.info
  writeBanner(`gmesh node ${peerId} ready\n  gradle cache: ${cacheUrl}\n  data: ${config.dataDir}\n` +
    multiaddrs.map(a => `  peers connect to: ${a}\n`).join(''), daemon.logger)
  const signal = await stop.requested
  daemon.logger.info({ signal }, 'stopping')
  await daemon.stop()
  daemon.logger.info('stopped')
  config.logger.flush()
}

/**
 * Writes the ready banner, the only thing `up` writes on stdout (logs go to stderr). A reader that is gone (`gmesh up |
 * head -c 0`, a supervisor's dead log pipe) fails the write with EPIPE: the node keeps running, as it would have had
 * it not written at all; another failure of stdout is logged, and the node keeps running too.
 */
function writeBanner (text: string, logger: { warn: (obj: object, msg: string) => void }): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') logger.warn({ err }, 'cannot write on stdout')
  })
  process.stdout.write(text)
}

/** The first request to stop: a stop signal, or (for a node a test or the demo started) its parent gone. */
function stopRequests (): { signal: AbortSignal, requested: Promise<NodeJS.Signals | 'parent exited'> } {
  const controller = new AbortController()
  const requested = new Promise<NodeJS.Signals | 'parent exited'>(resolve => {
    const request = (why: NodeJS.Signals | 'parent exited'): void => {
      resolve(why)
      controller.abort(new Error(`stop requested (${why})`))
    }
    // every signal is heard, also while stopping: a second Ctrl-C does not kill the node halfway through its stop
    onStopSignals(request)
    if (process.env.GMESH_EXIT_WITH_PARENT === '1') watchParent(() => { request('parent exited') })
  })
  return { signal: controller.signal, requested }
}

/** Logged once at start by a node without a swarm key: cache sharing stays open (zero-config LAN), but says so. */
const OPEN_MESH_WARNING = 'no --swarm-key: this mesh is open, any host on the network running gmesh can join it and serve ' +
  'entries to this node\'s builds; to close it, make a key with gmesh keygen FILE and start every node with --swarm-key FILE'

/**
 * Logged at start by a node whose HTTP server other hosts can reach: Gradle's cache protocol and /metrics carry no
 * token (the control API does), so any host that reaches the port reads and writes this node's cache.
 */
export function exposedHttpWarning (host: string): string {
  return `--http on ${host}, not loopback: any host that reaches it can read and write this node's cache and read /metrics ` +
    '(no token; the control API still needs DIR/token); keep --http on 127.0.0.1 (the default) unless a firewall or a trusted network guards the port'
}

/** A node started by a test or the demo stops when whoever started it is gone (it is re-parented). */
function watchParent (onGone: () => void): void {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer)
      onGone()
    }
  }, 1000)
  timer.unref()
}

async function nodeConfig (options: UpOptions): Promise<import('../../../node/daemon.js').DaemonOptions> {
  if (!(LOG_LEVELS as readonly string[]).includes(options.logLevel)) {
    throw new UsageError(`invalid --log-level "${options.logLevel}": use one of ${LOG_LEVELS.join(', ')}`)
  }
  const replicas = Number(options.replicas)
  if (!/^\d+$/.test(options.replicas) || replicas > MAX_REPLICAS) throw new UsageError(`invalid --replicas "${options.replicas}": use a whole number from 0 to ${MAX_REPLICAS}`)
  const slots = options.slots == null ? (await import('node:os')).availableParallelism() : parsePositiveInt(options.slots, '--slots')
  const producers = peerList(options.trustProducers, '--trust-producers')
  const submitters = peerList(options.trustSubmitters, '--trust-submitters')
  refuseOpenBuilds(options, submitters)
  const { cacheMaxBytes, maxEntryBytes } = cacheLimits(options)
  const listen = await multiaddrList(options.listen, '--listen') ?? ['/ip4/0.0.0.0/tcp/5072']
  const bootstrap = await multiaddrList(options.bootstrap, '--bootstrap') ?? []
  const http = await httpAddress(options.http)
  const dataDir = resolveDataDir(options.data)
  await refuseFile(dataDir, options.data == null ? 'the data dir' : '--data')
  return {
    dataDir,
    http,
    cacheMaxBytes,
    maxEntryBytes,
    syncBlobs: options.fsync,
    logger: createLogger(options.logLevel as LogLevel),
    mesh: {
      listen,
      bootstrap,
      mdns: options.mdns,
      slots: options.acceptBuilds === true ? slots : 0,
      ...(options.swarmKey == null ? {} : { swarmKey: await readSwarmKey(options.swarmKey) }),
      cache: { replication: { replicas } },
      trust: await trustPolicy(producers, submitters, options.announce)
    }
  }
}

/**
 * A unit runs its submitter's build code: a node accepts builds only from members of a private mesh or from listed
 * submitters. In an open mesh "any member" is any host that reaches the listen port.
 */
function refuseOpenBuilds (options: Pick<UpOptions, 'acceptBuilds' | 'swarmKey'>, submitters: string[] | undefined): void {
  if (options.acceptBuilds !== true || options.swarmKey != null || (submitters ?? []).length > 0) return
  throw new UsageError('--accept-builds without --swarm-key would run the build code of any host that reaches this node: ' +
    'close the mesh with --swarm-key FILE (make it once with gmesh keygen FILE, give every node the same file), ' +
    'or name who may submit builds with --trust-submitters ID,ID (gmesh status shows a node\'s peer id)')
}

/**
 * The cache budget and the largest entry. An entry bigger than the whole budget would evict every other
 * one and then itself: the default entry limit shrinks to the budget, and an explicit one above it is refused.
 */
function cacheLimits (options: Pick<UpOptions, 'cacheMax' | 'maxEntry'>): { cacheMaxBytes: number, maxEntryBytes: number } {
  const cacheMaxBytes = parseSize(options.cacheMax, '--cache-max')
  if (cacheMaxBytes < MIN_CACHE_MAX) {
    // `--cache-max 5` meant as 5 GiB would evict the whole cache at start, and every PUT after it
    throw new UsageError(`invalid --cache-max "${options.cacheMax}": that is ${cacheMaxBytes} bytes, below the least a node's cache takes (1MiB); ` +
      'sizes take a unit: 500MiB, 5GiB')
  }
  // the daemon's own default, shrunk to the budget
  if (options.maxEntry === undefined) return { cacheMaxBytes, maxEntryBytes: Math.min(DEFAULT_MAX_ENTRY_BYTES, cacheMaxBytes) }
  const maxEntryBytes = parseSize(options.maxEntry, '--max-entry')
  if (maxEntryBytes > cacheMaxBytes) {
    throw new UsageError(`--max-entry ${options.maxEntry} is larger than --cache-max ${options.cacheMax}: an entry that big would evict the whole cache; lower --max-entry or raise --cache-max`)
  }
  return { cacheMaxBytes, maxEntryBytes }
}

/**
 * Multiaddrs checked before anything starts: a typo is a usage error, not a half-started node, and so is a /p2p/
 * part that is not a peer id (libp2p would refuse it only after the data directory is made). A peer to join
 * through may leave out its /p2p/ id: the dialler learns it from the first connection.
 */
async function multiaddrList (values: string[] | undefined, flag: '--listen' | '--bootstrap'): Promise<string[] | undefined> {
  const example = flag === '--listen' ? '/ip4/0.0.0.0/tcp/5072' : '/ip4/10.0.0.5/tcp/5072/p2p/12D3KooW...'
  for (const value of values ?? []) {
    let components: Array<{ name: string, value?: string }>
    try {
      components = multiaddr(value).getComponents()
    } catch (err) {
      throw new UsageError(`invalid ${flag} "${value}": ${(err as Error).message}; write a multiaddr such as ${example}`)
    }
    if (!isTcpAddress(components)) {
      throw new UsageError(`invalid ${flag} "${value}": nodes connect over TCP only, an address is /ip4/HOST/tcp/PORT ` +
        `(or /ip6/, /dns4/, /dns6/, /dns/)${flag === '--bootstrap' ? ', optionally with /p2p/ID' : ''}, such as ${example}`)
    }
    const peerId = components.find(c => c.name === 'p2p')?.value
    if (peerId != null && !await isPeerId(peerId)) {
      throw new UsageError(`invalid ${flag} "${value}": "${peerId}" is not a peer id (gmesh status shows a node's peer id, e.g. 12D3KooW...)`)
    }
  }
  return values
}

/**
 * Whether a multiaddr is one the node's only transport (TCP) takes: a host, tcp and a port, then at most a /p2p/ id.
 * A /udp/, /quic-v1 or /ws address would fail only after the data directory, identity and token were written.
 */
function isTcpAddress (components: Array<{ name: string }>): boolean {
  const [host, transport, ...rest] = components.map(c => c.name)
  return host != null && ['ip4', 'ip6', 'dns4', 'dns6', 'dns'].includes(host) && transport === 'tcp' &&
    (rest.length === 0 || (rest.length === 1 && rest[0] === 'p2p'))
}

/**
 * `--http`, with its host resolved now: a name nobody resolves is a usage error before anything is written, not a
 * failed start after the data directory, identity and token were made.
 */
async function httpAddress (text: string): Promise<HostPort> {
  const address = parseHostPort(text)
  const { lookup } = await import('node:dns/promises')
  try {
    await lookup(address.host)
  } catch (err) {
    throw new UsageError(`invalid --http "${text}": cannot resolve ${address.host} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
      'use an address of this machine, e.g. 127.0.0.1:5071')
  }
  return address
}

async function isPeerId (text: string): Promise<boolean> {
  const { peerIdFromString } = await import('@libp2p/peer-id')
  try {
    peerIdFromString(text)
    return true
  } catch {
    return false
  }
}

async function readSwarmKey (path: string): Promise<Uint8Array> {
  const { readSwarmKeyFile } = await import('../../../node/libp2p/swarm-key.js')
  try {
    return await readSwarmKeyFile(path)
  } catch (err) {
    // a bad option value, checked before anything is written (exit 2), as the others are
    throw new UsageError(`cannot use swarm key ${path}: ${(err as Error).message}`)
  }
}

/**
 * A comma-separated list of peer ids; each must parse as one (a typo must not silently trust nobody), and there must be
 * one at least: an empty list (`--trust-producers ""`, `","`) would read as no list, which trusts any member.
 */
function peerList (text: string | undefined, flag: '--trust-producers' | '--trust-submitters'): string[] | undefined {
  if (text === undefined) return undefined
  const peers = text.split(',').map(p => p.trim()).filter(p => p !== '')
  if (peers.length === 0) {
    throw new UsageError(`${flag} "${text}" names no peer, and an empty list would trust any member: give peer ids, comma-separated ` +
      `(gmesh status shows a node's peer id), or leave ${flag} out to trust any member`)
  }
  for (const peer of peers) {
    if (!/^(12D3Koo|Qm)[1-9A-HJ-NP-Za-km-z]{20,100}$/.test(peer)) throw new UsageError(`"${peer}" is not a peer id (gmesh status shows a node's peer id, e.g. 12D3KooW...)`)
  }
  return peers
}

async function trustPolicy (producers: string[] | undefined, submitters: string[] | undefined, announce: boolean): Promise<import('../../../protocols/cache/index.js').TrustPolicy> {
  const { TrustPolicy } = await import('../../../protocols/cache/index.js')
  const listed = (peers: string[] | undefined): { mode: 'any-member' } | { mode: 'peers', peers: string[] } =>
    peers == null || peers.length === 0 ? { mode: 'any-member' } : { mode: 'peers', peers }
  return new TrustPolicy({
    producers: listed(producers),
    submitters: listed(submitters),
    announceOwnPuts: announce
  })
}
