import { refuseFile } from '../dir-option.js'
import { INTERRUPTED_EXIT_CODE } from '../../build/build-failure.js'
import { watchInterrupts } from '../interrupts.js'
import type { Command } from 'commander'
import path from 'node:path'
import { resolveDataDir } from '../../config/data-dir.js'
import { readReadyFile, type NodeReadyInfo } from '../../client/node-client.js'
import { renderInitScript } from '../../gradle/init-script.js'
import { installInitScript, removeInitScript, resolveGradleUserHome } from '../../gradle/install-init-script.js'
import { CACHING_PROPERTY, enableCachingProperty } from '../../gradle/gradle-properties.js'
import { runGradle, type GradleRunResult } from '../../gradle/runner.js'
import { describeGradleCommand, findGradleCommand, projectDirArgument } from '../../gradle/gradle-command.js'
import { assertDirectory, locateGradleProject, ProjectDirError } from '../../gradle/build-root.js'
import { OperationError, UsageError } from '../errors.js'

const DATA_HELP = 'data directory of the running node (default $GMESH_HOME or ~/.gmesh)'

/** Registers `gmesh init-gradle` and `gmesh gradle -- <args>`. */
export function register (program: Command): void {
  program.command('init-gradle')
    .description('make every Gradle build on this machine use the node\'s cache (writes $GRADLE_USER_HOME/init.d/gmesh.gradle); --remove undoes it')
    .option('--data <dir>', DATA_HELP)
    .option('--gradle-user-home <dir>', 'Gradle user home to install into (default $GRADLE_USER_HOME or ~/.gradle)')
    .option('--read-only', 'only read from the cache, never push build outputs to it')
    .option('--force', 'replace an init.d/gmesh.gradle that gmesh did not write')
    .option('--remove', 'delete the init.d/gmesh.gradle gmesh wrote, so Gradle builds no longer use a gmesh node (needs no running node)')
    .option('--gradle-properties', 'also set org.gradle.caching=true in the Gradle user home\'s gradle.properties, other lines kept: with the configuration cache on, the script alone does not keep the build cache on')
    .action(async (options: InitGradleOptions) => {
      if (options.remove === true) await removeInitGradle(options)
      else await initGradle(options)
    })

  program.command('gradle')
    .description('run one Gradle build with the node\'s cache: gmesh gradle -- build')
    .argument('[gradle-args...]', 'tasks and flags for Gradle, after --')
    .option('--data <dir>', DATA_HELP)
    .option('--project <dir>', 'Gradle project directory (default: the current directory)')
    .option('--read-only', 'only read from the cache, never push build outputs to it')
    .action(async (gradleArgs: string[], options: GradleCommandOptions) => {
      process.exitCode = await gradleBuild(gradleArgs, options)
    })
}

interface InitGradleOptions { data?: string, gradleUserHome?: string, readOnly?: boolean, force?: boolean, remove?: boolean, gradleProperties?: boolean }
interface GradleCommandOptions { data?: string, project?: string, readOnly?: boolean }

/** The running node at `--data`, or an operation error saying how to start one. */
async function runningNode (data: string | undefined): Promise<NodeReadyInfo> {
  const dataDir = resolveDataDir(data)
  try {
    return await readReadyFile(dataDir)
  } catch (err) {
    throw new OperationError((err as Error).message)
  }
}

/**
 * The init script for the node. `selfEnabling`: the script is for init.d and turns the build cache on
 * by itself, as it must there (and stands aside for builds gmesh gives a script of their own); for one
 * build, `--build-cache` does it instead, so that a `--no-build-cache` the user gives still wins.
 */
function initScriptFor (node: NodeReadyInfo, readOnly: boolean | undefined, selfEnabling: boolean): string {
  try {
    return renderInitScript({ cacheUrl: node.cacheUrl, push: readOnly !== true, enableBuildCache: selfEnabling, installed: selfEnabling })
  } catch (err) {
    throw new OperationError(`the node's node.json has an unusable cacheUrl: ${(err as Error).message}`)
  }
}

async function initGradle (options: InitGradleOptions): Promise<void> {
  const home = resolveGradleUserHome(options.gradleUserHome)
  await refuseFile(home, options.gradleUserHome == null ? 'the Gradle user home' : '--gradle-user-home')
  const node = await runningNode(options.data)
  const script = initScriptFor(node, options.readOnly, true)
  let result
  try {
    result = await installInitScript(home, script, options.force === true)
  } catch (err) {
    throw new OperationError((err as Error).message)
  }
  const verb = result.changed ? 'wrote' : 'already up to date:'
  process.stdout.write(`${verb} ${result.file}\nGradle builds using ${home} now use the cache at ${node.cacheUrl}` +
    `${options.readOnly === true ? ' (read-only)' : ''}; gmesh init-gradle --remove stops that.\n`)
  if (options.gradleProperties === true) {
    process.stdout.write(await setCachingProperty(home))
    return
  }
  process.stdout.write('With Gradle\'s configuration cache on, also set org.gradle.caching=true (gmesh init-gradle --gradle-properties does): ' +
    'a configuration-cache hit does not rerun the script that turns the build cache on.\n')
}

/** `--gradle-properties`: org.gradle.caching=true in the Gradle user home's gradle.properties; what it did, as a line. */
async function setCachingProperty (home: string): Promise<string> {
  let result
  try {
    result = await enableCachingProperty(home)
  } catch (err) {
    throw new OperationError(`the script is installed, but gradle.properties could not be updated: ${(err as Error).message}`)
  }
  if (!result.changed) return `already set: ${CACHING_PROPERTY}=true in ${result.file}\n`
  const was = result.previous === undefined ? '' : ` (it was ${result.previous})`
  return `set ${CACHING_PROPERTY}=true in ${result.file}${was}: builds keep the build cache on with the configuration cache too ` +
    '(gmesh init-gradle --remove leaves this line)\n'
}

async function removeInitGradle (options: InitGradleOptions): Promise<void> {
  if (options.readOnly === true || options.force === true || options.gradleProperties === true) {
    throw new UsageError('--remove takes neither --read-only, --force nor --gradle-properties: it deletes only a script gmesh wrote')
  }
  const home = resolveGradleUserHome(options.gradleUserHome)
  await refuseFile(home, options.gradleUserHome == null ? 'the Gradle user home' : '--gradle-user-home')
  let result
  try {
    result = await removeInitScript(home)
  } catch (err) {
    throw new OperationError((err as Error).message)
  }
  process.stdout.write(result.removed
    ? `removed ${result.file}; Gradle builds using ${home} no longer use a gmesh node's cache\n`
    : `nothing to remove: there is no ${result.file}\n`)
}

async function gradleBuild (gradleArgs: string[], options: GradleCommandOptions): Promise<number> {
  if (gradleArgs.length === 0) {
    throw new UsageError('no Gradle arguments: put them after --, e.g. `gmesh gradle -- build`')
  }
  const projectDir = path.resolve(options.project ?? '.')
  // the build Gradle will run (and whose wrapper): the one -p names, else the project dir's (or its root's)
  const buildDir = projectDirArgument(gradleArgs, projectDir) ?? projectDir
  await checkProject(projectDir, buildDir, gradleArgs)
  const node = await runningNode(options.data)
  const initScript = initScriptFor(node, options.readOnly, false)
  if (gradleArgs.includes('--offline')) {
    process.stderr.write('gmesh: warning: Gradle does not use a remote build cache with --offline, so this build ' +
      'will not use the node; the node is on loopback, so --offline is not needed to stay off the network\n')
  }
  // Gradle runs in its own process group, so Ctrl-C reaches only us: the first stops its whole group, a second kills
  // it and exits at once. Every signal is handled, so gmesh never dies leaving Gradle behind.
  const controller = new AbortController()
  let gradlePid: number | undefined
  const offSignals = watchInterrupts({
    controller,
    stopping: signal => `${signal}: stopping Gradle`,
    gradlePid: () => gradlePid,
    sayForcedExit: () => { process.stderr.write('gmesh: interrupted again: killed Gradle and exited at once\n') }
  })
  let result: GradleRunResult
  try {
    const gradleCommand = await findGradleCommand(buildDir)
    process.stderr.write(`gmesh: ${describeGradleCommand(gradleCommand, buildDir)}\n`)
    result = await runGradle({
      projectDir,
      gradleCommand,
      args: gradleArgs,
      stdin: 'inherit',
      initScript,
      keepInitScript: true,
      onSpawn: pid => { gradlePid = pid },
      signal: controller.signal
    })
  } catch (err) {
    throw new OperationError((err as Error).message)
  } finally {
    offSignals()
  }
  process.stderr.write(describeOutcome(result, node, gradleArgs.includes('--offline')))
  return result.aborted && controller.signal.aborted ? INTERRUPTED_EXIT_CODE : result.exitCode
}

/** Gradle arguments that need no build where Gradle runs: they make one, name another, or only print. */
const NO_BUILD_NEEDED = new Set(['init', 'wrapper', '--stop', '--status', '--version', '-v', '--help', '-h', '-?', '-b', '--build-file', '-c', '--settings-file'])

/**
 * Refuses (usage error, exit 2) a project dir that is missing, as `gmesh build` does a build dir with no
 * settings.gradle(.kts) or build.gradle(.kts) in it or above it: Gradle would take an empty folder for a project,
 * run whatever task name matches one of its own (`build` is `buildEnvironment`) and leave a `.gradle` there.
 */
async function checkProject (projectDir: string, buildDir: string, gradleArgs: readonly string[]): Promise<void> {
  const noBuildNeeded = gradleArgs.some(arg => NO_BUILD_NEEDED.has(arg.replace(/=.*$/, '')))
  try {
    await assertDirectory(projectDir)
    if (noBuildNeeded) await assertDirectory(buildDir)
    else await locateGradleProject(buildDir)
  } catch (err) {
    if (!(err instanceof ProjectDirError)) throw err
    throw new UsageError(`${err.message}; run gmesh gradle in a Gradle project's directory or give --project DIR`)
  }
}

/**
 * One line after the build: what the cache did for it. With `--offline` Gradle uses no remote cache: its hits came
 * from its local cache, and the line says the node was not used rather than name it as their source.
 */
export function describeOutcome (result: GradleRunResult, node: NodeReadyInfo, offline = false): string {
  if (result.aborted) return 'gmesh: build interrupted; Gradle was stopped\n'
  const actionable = result.summary.actionable
  if (actionable == null) return `gmesh: Gradle exited with code ${result.exitCode}\n`
  const source = offline
    ? `from Gradle's local cache: with --offline the node at ${node.cacheUrl} was not used`
    : `cache ${node.cacheUrl}`
  return `gmesh: ${actionable.total} actionable tasks: ${actionable.fromCache} from cache, ` +
    `${actionable.upToDate} up-to-date, ${actionable.executed} executed (${source})\n`
}
