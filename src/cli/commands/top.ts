import { onStopSignals } from '../stop-signals.js'
import type { Command } from 'commander'
import { parsePositiveInt } from '../../config/parse.js'
import type { NodeClient } from '../../client/node-client.js'
import { connect } from './status.js'
import { OperationError } from '../errors.js'

/** Registers `gmesh top`: a live dashboard of the node and its mesh (a plain periodic table when not on a terminal). */
export function register (program: Command): void {
  program.command('top')
    .description('live dashboard of the node and its mesh: peers, jobs, cache, events (a plain table when not on a terminal)')
    .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
    .option('--interval <ms>', 'refresh interval in milliseconds', '2000')
    .option('--count <n>', 'without a terminal: print this many tables, then exit')
    .action(async (options: { data?: string, interval: string, count?: string }) => {
      const intervalMs = parsePositiveInt(options.interval, '--interval')
      const count = options.count == null ? undefined : parsePositiveInt(options.count, '--count')
      const client = await connect(options.data)
      process.env.NODE_ENV ??= 'production' // React's production build: a fraction of the development build's CPU
      const { runTop, NoTableError } = await import('../../tui/run-top.js')
      const stop = new AbortController()
      const onSignal = (): void => { stop.abort() }
      const offSignals = onStopSignals(onSignal)
      try {
        // node.json and the token read again after a failed read: a restarted node may be on another port
        const reconnect = async (): Promise<NodeClient> => await connect(options.data)
        await runTop({ client, reconnect, stdout: process.stdout, stdin: process.stdin, intervalMs, signal: stop.signal, ...(count == null ? {} : { count }) })
      } catch (err) {
        // exit 1, as status, cache and peers do for a node that does not answer
        throw err instanceof NoTableError ? new OperationError(err.message) : err
      } finally {
        offSignals()
      }
    })
}
