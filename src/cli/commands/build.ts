import type { Command } from 'commander'
import path from 'node:path'
import { resolveDataDir } from '../../config/data-dir.js'
import { NodeClient } from '../../client/node-client.js'
import { MAX_UNIT_TIMEOUT_MS } from '../../client/api-types.js'
import { buildSummaryJson, formatBuildSummary } from '../../build/build-summary.js'
import { buildFailureJson, describeFailure, usageFailureJson, type BuildState } from '../../build/build-failure.js'
import { watchBuildInterrupts } from '../build-interrupts.js'
import { distributedBuild, type DistributedBuildResult } from '../../build/distributed-build.js'
import { parsePositiveInt } from '../../config/parse.js'
import { locateGradleProject, ProjectDirError } from '../../gradle/build-root.js'
import { UnknownTaskError } from '../../gradle/task-graph.js'
import { OutsideBuildRootError } from '../../gradle/build-dirs.js'
import { ShardModuleError, UnresolvedTaskError, type ShardRequest } from '../../plan/units.js'
import { InterruptedError, OperationError, UsageError } from '../errors.js'

interface BuildOptions {
  data?: string, project?: string, json?: boolean, unitTimeout?: string, output?: boolean, daemon?: boolean, separateTests?: boolean
  shardTests?: string, shard?: string[]
}

/** Registers `gmesh build -- <tasks>`. */
export function register (program: Command): void {
  program.command('build')
    .description('spread a Gradle build over the mesh, then build locally from the mesh cache: gmesh build -- build')
    .argument('[tasks...]', 'Gradle tasks, after --')
    .option('--data <dir>', 'data directory of the running node (default $GMESH_HOME or ~/.gmesh)')
    .option('--project <dir>', 'Gradle project directory, as gradle would run in it: the build\'s root or a subproject (default: the current directory)')
    .option('--unit-timeout <seconds>', 'deadline of each unit on its worker (default 1800)')
    .option('--json', 'print the summary as JSON (a failed final build\'s reason in final.failure)')
    .option('--no-output', 'hide the final local build\'s Gradle output (the summary says why, if it fails)')
    .option('--no-daemon', 'plan and run the final local build without the Gradle daemon')
    .option('--no-separate-tests', 'run each module\'s tests in the same unit as its compilation')
    .option('--shard-tests <n>', 'run every module\'s test task in n shards by test class, on any nodes')
    .option('--shard <module=n>', 'run one module\'s test task in n shards (repeatable; overrides --shard-tests)', (value: string, all: string[] = []) => [...all, value])
    .action(async (tasks: string[], options: BuildOptions) => {
      process.exitCode = await build(tasks, options)
    })
}

/** The build; with `--json`, a usage error prints its document too (README: --json always prints one). */
async function build (tasks: string[], options: BuildOptions): Promise<number> {
  try {
    return await checkedBuild(tasks, options)
  } catch (err) {
    if (err instanceof UsageError && options.json === true) process.stdout.write(`${JSON.stringify(usageFailureJson(err.message), null, 2)}\n`)
    throw err
  }
}

async function checkedBuild (tasks: string[], options: BuildOptions): Promise<number> {
  if (tasks.length === 0) throw new UsageError('no tasks: put them after --, e.g. `gmesh build -- build`')
  const flag = tasks.find(t => t.startsWith('-'))
  if (flag != null) throw new UsageError(`gmesh build takes task names only, not Gradle flags (got ${flag}); use gmesh gradle -- ... for other builds`)
  const unitTimeoutMs = options.unitTimeout == null ? undefined : parseUnitTimeout(options.unitTimeout) * 1000
  const testShardsPerModule = options.shardTests == null ? undefined : parsePositiveInt(options.shardTests, '--shard-tests')
  const shardTests = options.shard?.map(parseShard)
  const hooks = cancelDeadline()
  const projectDir = await gradleProjectDir(options.project ?? '.')
  const json = options.json === true
  const state: BuildState = { stage: 'connect' }
  let client: NodeClient
  try {
    client = await NodeClient.connect(resolveDataDir(options.data), { timeoutMs: 120_000 })
  } catch (err) {
    throw failed(state, err, false, json)
  }
  const controller = new AbortController()
  const offSignals = watchBuildInterrupts({ controller, state, json })
  let result: DistributedBuildResult
  try {
    result = await distributedBuild({
      client,
      cacheUrl: client.info.cacheUrl,
      projectDir,
      tasks,
      noDaemon: options.daemon === false,
      separateTests: options.separateTests !== false,
      ...(testShardsPerModule == null ? {} : { testShardsPerModule }),
      ...(shardTests == null ? {} : { shardTests }),
      signal: controller.signal,
      state,
      ...hooks,
      ...(unitTimeoutMs == null ? {} : { unitTimeoutMs }),
      ...(options.json === true ? {} : { progress: process.stderr }),
      ...(options.json === true || options.output === false ? {} : { finalOutput: process.stdout })
    })
  } catch (err) {
    if (!controller.signal.aborted && isUsageError(err)) throw new UsageError((err as Error).message)
    throw failed(state, err, controller.signal.aborted, json)
  } finally {
    offSignals()
  }
  if (options.json === true) process.stdout.write(`${JSON.stringify(buildSummaryJson(result), null, 2)}\n`)
  else process.stderr.write(formatBuildSummary(result, { finalOutputShown: options.output !== false }))
  return result.exitCode
}

/**
 * Whether planning refused what was asked rather than failing: a task Gradle does not know (or that is ambiguous),
 * a task gmesh cannot tell, `--shard` for a module whose tests are not planned, a project directory gmesh cannot take,
 * a build reaching outside its root (an included build or a project elsewhere, which workers would not get).
 * A probe that fails otherwise (a broken build script) is no usage error.
 */
function isUsageError (err: unknown): boolean {
  return err instanceof UnknownTaskError || err instanceof UnresolvedTaskError || err instanceof ShardModuleError || err instanceof ProjectDirError ||
    err instanceof OutsideBuildRootError
}

/** The error a build that stopped at `state.stage` ends with; with `--json`, its document goes to stdout first. */
function failed (state: BuildState, err: unknown, interrupted: boolean, json: boolean): Error {
  const failure = describeFailure(state, err, interrupted)
  if (json) process.stdout.write(`${JSON.stringify(buildFailureJson(state, failure), null, 2)}\n`)
  return interrupted ? new InterruptedError(failure.message) : new OperationError(failure.message)
}

/**
 * A test hook, not a user option: GMESH_CANCEL_DEADLINE_MS shortens (or lengthens) how long an interrupted build
 * waits for the node to cancel its job, so tests of a hung node need not wait the real 5 s. Absent: the default.
 */
function cancelDeadline (): { cancelDeadlineMs?: number } {
  const text = process.env.GMESH_CANCEL_DEADLINE_MS
  return text == null || text === '' ? {} : { cancelDeadlineMs: parsePositiveInt(text, 'GMESH_CANCEL_DEADLINE_MS') }
}

/** The project directory, refused before anything is snapshotted when no Gradle build is in it or above it. */
async function gradleProjectDir (dir: string): Promise<string> {
  try {
    return (await locateGradleProject(path.resolve(dir))).projectDir
  } catch (err) {
    if (err instanceof ProjectDirError) throw new UsageError(`${err.message}; run gmesh build in a Gradle project's directory or give --project DIR`)
    throw err
  }
}

/** `--shard money=3` (or `:money=3`) as a shard request. */
function parseShard (text: string): ShardRequest {
  const match = /^(:?[A-Za-z0-9_.:-]+)=(\d+)$/.exec(text)
  if (match == null) throw new UsageError(`--shard takes MODULE=N, e.g. --shard money=3 (got "${text}")`)
  return { module: match[1]!, shards: parsePositiveInt(match[2]!, `--shard ${match[1]!}`) }
}

/** Seconds of a unit's deadline: at most a day, as the node takes it. */
function parseUnitTimeout (text: string): number {
  const seconds = parsePositiveInt(text, '--unit-timeout')
  if (seconds * 1000 > MAX_UNIT_TIMEOUT_MS) throw new UsageError(`invalid --unit-timeout "${text}": at most ${MAX_UNIT_TIMEOUT_MS / 1000} seconds (a day)`)
  return seconds
}
