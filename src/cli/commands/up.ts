import type { Command } from 'commander'
import { resolveDataDir } from '../../config/data-dir.js'
import { parseHostPort, parseSize } from '../../config/parse.js'
import { createLogger, LOG_LEVELS, type LogLevel } from '../../config/logger.js'
import { UsageError } from '../errors.js'

interface UpOptions {
  data?: string
  http: string
  cacheMax: string
  maxEntry: string
  logLevel: string
}

/** Registers `gmesh up`: runs a node in the foreground until SIGINT or SIGTERM. */
export function register (program: Command): void {
  program.command('up')
    .description('run a node in the foreground (SIGINT/SIGTERM stop it cleanly)')
    .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
    .option('--http <host:port>', 'where to serve the Gradle cache and the control API', '127.0.0.1:5071')
    .option('--cache-max <size>', 'size budget of the local cache; least recently used entries go first', '5GiB')
    .option('--max-entry <size>', 'largest cache entry kept; bigger ones are dropped', '100MiB')
    .option('--log-level <level>', `one of ${LOG_LEVELS.join(', ')}`, 'info')
    .action(async (options: UpOptions) => { await up(options) })
}

async function up (options: UpOptions): Promise<void> {
  if (!(LOG_LEVELS as readonly string[]).includes(options.logLevel)) {
    throw new UsageError(`invalid --log-level "${options.logLevel}": use one of ${LOG_LEVELS.join(', ')}`)
  }
  const config = {
    dataDir: resolveDataDir(options.data),
    http: parseHostPort(options.http),
    cacheMaxBytes: parseSize(options.cacheMax, '--cache-max'),
    maxEntryBytes: parseSize(options.maxEntry, '--max-entry'),
    logger: createLogger(options.logLevel as LogLevel)
  }
  const { Daemon } = await import('../../../node/daemon.js')
  const daemon = await Daemon.start(config)
  const { peerId, cacheUrl } = daemon.info
  process.stdout.write(`gmesh node ${peerId} ready\n  gradle cache: ${cacheUrl}\n  data: ${config.dataDir}\n`)
  const signal = await new Promise<NodeJS.Signals>(resolve => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  config.logger.info({ signal }, 'stopping')
  await daemon.stop()
  config.logger.flush()
}
