// npm run bench -- [--quick] [--only NAME]: runs every benchmark module present, each printing figures next to its reference.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describeMachine, machineFacts } from './lib/machine.js'
import { BenchUsageError, MODULES, parseBenchArgs, setCurrentBenchOptions, USAGE, type BenchOptions } from './lib/options.js'
import { processes } from './lib/processes.js'

export { MODULES }

interface BenchModule { run: (options?: BenchOptions) => Promise<void> }

function moduleUrl (name: string): URL {
  return new URL(`./${name}.js`, import.meta.url)
}

export function presentModules (): string[] {
  return MODULES.filter((name) => existsSync(fileURLToPath(moduleUrl(name))))
}

async function runModule (name: string, options: BenchOptions): Promise<boolean> {
  const started = performance.now()
  console.log(`\n=== ${name} ===`)
  try {
    const mod = await import(moduleUrl(name).href) as Partial<BenchModule>
    if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts exports no run()`)
    await mod.run(options)
    console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`)
    return true
  } catch (err) {
    console.error(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    return false
  } finally {
    await processes.stopAll()
  }
}

let interrupted = false

/**
 * First SIGINT/SIGTERM: stop every child by pid, which makes the running module fail and unwind through its
 * finally blocks (temp directories go too); exit 130 after that, or after 15 s at the latest. A second one kills.
 */
function installSignalHandlers (): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = true
    console.error(`\n${sig}: stopping ${processes.list().length} child process(es)`)
    setTimeout(() => process.exit(130), 15_000).unref()
    void processes.stopAll()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', () => { processes.killAllNow() })
}

async function main (argv: string[]): Promise<number> {
  let options: BenchOptions
  try {
    options = parseBenchArgs(argv)
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err
    console.error(`bench: ${err.message}\n${USAGE}`)
    return 2
  }
  const present = presentModules()
  if (options.only != null && !present.includes(options.only)) {
    console.error(`bench: no module ${options.only}; present: ${present.join(', ')}\n${USAGE}`)
    return 2
  }
  setCurrentBenchOptions(options)
  installSignalHandlers()
  console.log(`gradle-mesh benchmarks${options.quick ? ' (--quick)' : ''}, ${new Date().toISOString()}`)
  console.log(describeMachine(await machineFacts()))
  const selected = options.only != null ? [options.only] : present
  let failed = 0
  for (const name of selected) {
    if (!(await runModule(name, options))) failed++
    if (interrupted) return 130
  }
  if (failed > 0) console.error(`\n${failed} benchmark module(s) failed`)
  return failed > 0 ? 1 : 0
}

process.exitCode = await main(process.argv.slice(2))
