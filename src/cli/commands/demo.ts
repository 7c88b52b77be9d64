import { watchInterrupts } from '../interrupts.js'
import { abortWhenOutputGone } from '../output-gone.js'
import type { Command } from 'commander'
import { readdir } from 'node:fs/promises'
import { EXAMPLES_DIR, runDemo, type DemoReport, type RunningGradle } from '../../demo/demo.js'
import { runDistributedDemo } from '../../demo/distributed-demo.js'
import { writeSwarmKeyFile } from '../../../node/libp2p/swarm-key.js'
import { buildSummaryJson, formatBuildSummary } from '../../build/build-summary.js'
import { parsePositiveInt } from '../../config/parse.js'
import { InterruptedError, OperationError, UsageError } from '../errors.js'

interface DemoCliOptions { nodes?: string, example: string, keep?: boolean, json?: boolean, verbose?: boolean, distributed?: boolean }

/**
 * Nodes the demo runs: at least two (a peer hit needs a second node; the distributed demo starts two anyway), and few
 * enough for one machine (each node is a process of ~100 MiB).
 */
export const MIN_DEMO_NODES = 2
export const MAX_DEMO_NODES = 16

/** Registers `gmesh demo`: a small mesh on loopback builds an example project twice. */
export function register (program: Command): void {
  program.command('demo')
    .description('start nodes on loopback and build an example project twice: the second build comes from the cache')
    .argument('[gradle-args...]', 'Gradle tasks, after -- (default: build)')
    .option('--nodes <n>', `how many nodes to start, ${MIN_DEMO_NODES} to ${MAX_DEMO_NODES} (default 2, or 3 with --distributed)`)
    .option('--distributed', 'instead: nodes that accept builds, and gmesh build of the project through node 1 with empty caches')
    .option('--example <name>', 'example project under examples/', 'java-multi')
    .option('--keep', 'keep the temp directory with the nodes\' data and the projects')
    .option('--verbose', 'show Gradle\'s output')
    .option('--json', 'print the report as JSON')
    .action(async (gradleArgs: string[], options: DemoCliOptions) => {
      const nodes = demoNodes(options)
      await checkExample(options.example)
      const controller = new AbortController()
      const running: RunningGradle = {}
      const offSignals = watchInterrupts({
        controller,
        stopping: signal => `${signal}: stopping the demo, its Gradle and its nodes`,
        gradlePid: () => running.gradlePid,
        sayForcedExit: () => { process.stderr.write('gmesh: interrupted again: killed Gradle and exited at once; the demo\'s nodes stop by themselves once gmesh is gone\n') }
      })
      const output = abortWhenOutputGone(process.stdout, controller)
      const say = options.json === true ? () => {} : (line: string) => { if (!output.gone()) process.stdout.write(`gmesh demo: ${line}\n`) }
      try {
        if (options.distributed === true) {
          await distributedDemo(gradleArgs, options, nodes, say, controller.signal, running)
          return
        }
        await plainDemo(gradleArgs, options, nodes, say, controller.signal, running)
      } catch (err) {
        if (!controller.signal.aborted) throw err
        const cleaned = `its nodes were stopped${options.keep === true ? '' : ' and its temp directory removed'}`
        const outputGone = output.error()
        if (outputGone != null && controller.signal.reason === outputGone) throw new OperationError(`demo stopped: ${outputGone.message}; ${cleaned}`)
        throw new InterruptedError(`demo interrupted; ${cleaned}`)
      } finally {
        offSignals()
      }
    })
}

async function plainDemo (gradleArgs: string[], options: DemoCliOptions, nodes: number, say: (line: string) => void, signal: AbortSignal, running: RunningGradle): Promise<void> {
  const report = await runDemo({
    example: options.example,
    nodes,
    gradleArgs: gradleArgs.length > 0 ? gradleArgs : ['build'],
    keep: options.keep === true,
    say,
    gradleOutput: options.verbose === true ? process.stderr : null,
    signal,
    running
  })
  process.stdout.write(options.json === true ? JSON.stringify(summarise(report), null, 2) + '\n' : table(report))
  const failed = report.builds.find(b => b.result.exitCode !== 0)
  if (failed != null) throw new OperationError(`the ${failed.label} failed (Gradle exit ${failed.result.exitCode}); run with --verbose to see Gradle's output`)
}

async function distributedDemo (tasks: string[], options: DemoCliOptions, nodes: number, say: (line: string) => void, signal: AbortSignal, running: RunningGradle): Promise<void> {
  const report = await runDistributedDemo({
    example: options.example,
    nodes,
    tasks: tasks.length > 0 ? tasks : ['build'],
    writeSwarmKey: writeSwarmKeyFile,
    keep: options.keep === true,
    say,
    gradleOutput: options.verbose === true ? process.stderr : null,
    signal,
    running
  })
  process.stdout.write(options.json === true ? JSON.stringify(buildSummaryJson(report.build), null, 2) + '\n' : formatBuildSummary(report.build, { finalOutputShown: options.verbose === true }))
  if (report.build.exitCode !== 0) throw new OperationError('the distributed build failed; run with --verbose to see Gradle\'s output')
}

function summarise (report: DemoReport): unknown {
  return {
    nodes: report.nodes,
    builds: report.builds.map(b => ({
      label: b.label,
      node: b.node + 1,
      exitCode: b.result.exitCode,
      seconds: Math.round(b.result.durationMs / 100) / 10,
      tasks: b.result.summary.counts,
      actionable: b.result.summary.actionable,
      cache: b.cache,
      http: b.http
    }))
  }
}

function table (report: DemoReport): string {
  const rows = report.builds.map(b => {
    const a = b.result.summary.actionable
    const peerHits = Number(b.sharing?.peerHits ?? 0)
    const cells = a == null ? ['-', '-', '-'] : [a.executed, a.fromCache, `${b.http.hits ?? 0} (${peerHits} from peers)`]
    return `  ${b.label.padEnd(30)} node ${String(b.node + 1).padEnd(3)} ${(b.result.durationMs / 1000).toFixed(1).padStart(6)} s` +
      `  ${String(cells[0]).padStart(8)}  ${String(cells[1]).padStart(10)}  ${String(cells[2])}`
  })
  const header = `  ${'build'.padEnd(30)} ${'via'.padEnd(8)} ${'time'.padStart(8)}  executed  from-cache  cache hits at the node`
  return ['', header, ...rows, '', '  (tasks with actions, from Gradle\'s own summary; cache hits: GETs the node answered 200, and how many it first fetched from a peer)', ''].join('\n') + '\n'
}

/** `--nodes`, or the default; a usage error outside MIN_DEMO_NODES..MAX_DEMO_NODES. */
function demoNodes (options: Pick<DemoCliOptions, 'nodes' | 'distributed'>): number {
  const nodes = parsePositiveInt(options.nodes ?? (options.distributed === true ? '3' : '2'), '--nodes')
  if (nodes < MIN_DEMO_NODES || nodes > MAX_DEMO_NODES) {
    throw new UsageError(`invalid --nodes "${options.nodes ?? ''}": the demo runs ${MIN_DEMO_NODES} to ${MAX_DEMO_NODES} nodes ` +
      `(${MIN_DEMO_NODES} to show a build taken from a peer's cache; each node is a process of about 100 MiB)`)
  }
  return nodes
}

/** An example that is not under examples/ is a usage error naming the ones that are. */
async function checkExample (name: string): Promise<void> {
  const examples = (await readdir(EXAMPLES_DIR, { withFileTypes: true })).filter(e => e.isDirectory()).map(e => e.name).sort()
  if (!examples.includes(name)) throw new UsageError(`unknown --example "${name}": choose one of ${examples.join(', ')}`)
}
