import type { Command } from 'commander'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DataFiles, resolveDataDir } from '../../config/data-dir.js'
import { NodeClient } from '../../client/node-client.js'
import { NodeNotRunningError } from '../../client/errors.js'
import { silentLogger } from '../../config/logger.js'
import { describeResult, describeStats, type GradleGets } from '../cache-format.js'
import { parseSize } from '../../config/parse.js'
import { DEFAULT_CACHE_MAX, MIN_CACHE_MAX } from '../../cas/store-options.js'
import { InterruptedError, OperationError, UsageError } from '../errors.js'
import { formatBytes } from '../format.js'
import { watchInterrupts } from '../interrupts.js'
import { GcInterruptedError } from '../../cas/errors.js'
import { CLI_CLIENT_OPTIONS } from './status.js'

interface CacheOptions { data?: string, json?: boolean, cacheMax?: string }
type Action = 'stats' | 'gc' | 'verify'

/** Registers `gmesh cache stats|gc|verify`: through the running node, or on the store directly when none runs. */
export function register (program: Command): void {
  const cache = program.command('cache').description('inspect and maintain the local cache')
  const describe: Record<Action, string> = {
    stats: 'entries, bytes, hits and misses of the local cache',
    gc: 'evict least recently used entries down to the size budget',
    verify: 'hash every blob and quarantine the ones that do not match'
  }
  for (const action of Object.keys(describe) as Action[]) {
    const command = cache.command(action)
      .description(describe[action])
      .option('--data <dir>', 'data directory (default $GMESH_HOME or ~/.gmesh)')
      .option('--json', 'print JSON for scripts')
    if (action === 'gc') command.option('--cache-max <size>', 'evict down to this size, once (default: the running node\'s budget, or else the one the node last ran with)')
    command.action(async (options: CacheOptions) => {
      const maxBytes = options.cacheMax == null ? undefined : gcTarget(options.cacheMax)
      const print = ({ result, gets }: ActionOutcome): void => {
        process.stdout.write(options.json === true
          ? JSON.stringify(result, null, 2) + '\n'
          : action === 'stats' ? describeStats(result, gets) : describeResult(result))
      }
      const dataDir = resolveDataDir(options.data)
      if (action === 'gc') await gcUntilInterrupted(dataDir, maxBytes, print)
      else print(await runAction(action, dataDir, maxBytes))
    })
  }
}

/**
 * The size `gc --cache-max` evicts down to. A bare number is bytes: one under MIN_CACHE_MAX (`--cache-max 5`, meant
 * as 5GiB) would empty the cache, so it must say so with a unit (`5B`), or be 0.
 */
function gcTarget (value: string): number {
  if (/^\s*0+\s*B?\s*$/i.test(value)) return 0 // empty the cache, on purpose
  const bytes = parseSize(value, '--cache-max')
  if (/^\s*\d+\s*$/.test(value) && bytes > 0 && bytes < MIN_CACHE_MAX) {
    throw new UsageError(`invalid --cache-max "${value}": a bare number is bytes, and ${bytes} bytes would empty the cache; ` +
      'give a unit (5GiB, 500MiB, or 5B if bytes are meant), or 0 to empty it')
  }
  return bytes
}

/** What an action printed: `result` (as `--json` shows it) and, for stats through a running node, its Gradle GETs. */
interface ActionOutcome { result: Record<string, unknown>, gets?: GradleGets }

/**
 * `gmesh cache gc`, which a stop signal (Ctrl-C) ends early: on the store itself it stops after the chunk of entries
 * it is evicting (the store holds no entry without its blob) and prints what it evicted; through a node it cancels
 * the request, on which the node stops the gc the same way. Either way it exits 130; a second signal exits at once.
 */
async function gcUntilInterrupted (dataDir: string, maxBytes: number | undefined, print: (outcome: ActionOutcome) => void): Promise<void> {
  const controller = new AbortController()
  const offSignals = watchInterrupts({
    controller,
    stopping: signal => `${signal}: stopping the gc after the entries it is evicting now`,
    gradlePid: () => undefined,
    sayForcedExit: () => {
      process.stderr.write('gmesh: interrupted again: exited at once; entries already out of the index whose blobs were still on disk have them deleted when the store next opens\n')
    }
  })
  try {
    print(await runAction('gc', dataDir, maxBytes, controller.signal))
  } catch (err) {
    if (!controller.signal.aborted) throw err
    if (!(err instanceof GcInterruptedError)) {
      throw new InterruptedError('gc interrupted: the node stops it after the entries it is evicting now; `gmesh cache stats` shows what is left')
    }
    print({ result: { evicted: err.evicted, freedBytes: err.freedBytes, interrupted: true } })
    throw new InterruptedError(`gc interrupted after evicting ${err.evicted} ${err.evicted === 1 ? 'entry' : 'entries'} (${formatBytes(err.freedBytes)}); the other entries are as they were`)
  } finally {
    offSignals()
  }
}

async function runAction (action: Action, dataDir: string, maxBytes: number | undefined, signal?: AbortSignal): Promise<ActionOutcome> {
  let client: NodeClient | undefined
  try {
    // gc and verify take as long as the store needs, once the node has answered within CLI_CLIENT_OPTIONS' timeout
    client = await NodeClient.connect(dataDir, CLI_CLIENT_OPTIONS)
  } catch (err) {
    if (!(err instanceof NodeNotRunningError)) throw err
  }
  if (client != null) {
    if (action === 'gc') return { result: await client.cacheGc(maxBytes === undefined ? {} : { targetBytes: maxBytes }, signal) }
    if (action === 'verify') return { result: await client.cacheVerify() }
    const status = await client.status()
    return { result: status.cache as Record<string, unknown>, gets: (status.http ?? { hits: 0, misses: 0 }) as GradleGets }
  }
  return { result: await runOffline(action, dataDir, maxBytes, signal) }
}

/**
 * No node runs: claim the data dir so none starts meanwhile, and work on the store itself. Only gc evicts:
 * stats and verify open the store without a budget, so asking never deletes anything; nor does any of them prune
 * the quarantine (the node does when it starts).
 */
async function runOffline (action: Action, dataDir: string, maxBytes: number | undefined, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
  const casDir = join(dataDir, DataFiles.cas)
  if (!await exists(casDir)) throw new OperationError(`no cache at ${dataDir}: no node has run with this data directory (see --data)`)
  const { DataDirLock } = await import('../../../node/data-dir.js')
  const { ContentStore } = await import('../../cas/store.js')
  const lock = await DataDirLock.acquire(dataDir)
  try {
    // opened without a budget, so that opening evicts nothing and gc reports what it evicted
    const unbounded = Number.MAX_SAFE_INTEGER
    const store = await ContentStore.open({ dir: casDir, maxBytes: unbounded, quarantineMaxFiles: unbounded, quarantineMaxBytes: unbounded, logger: silentLogger() })
    try {
      if (action === 'gc') return { ...await store.gc({ targetBytes: maxBytes ?? await lastBudget(dataDir), signal }) }
      if (action === 'verify') return { ...await store.verify() }
      return { ...store.stats(), maxBytes: await lastBudget(dataDir) }
    } finally {
      await store.close()
    }
  } finally {
    await lock.release()
  }
}

/** The budget the node last ran with (the default before it first wrote one). */
async function lastBudget (dataDir: string): Promise<number> {
  try {
    const { maxBytes } = JSON.parse(await readFile(join(dataDir, DataFiles.cacheBudget), 'utf8')) as { maxBytes?: unknown }
    if (typeof maxBytes === 'number' && Number.isSafeInteger(maxBytes) && maxBytes >= 0) return maxBytes
  } catch {}
  return DEFAULT_CACHE_MAX
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}
