/** Command-line options shared by every benchmark module (`npm run bench -- [--quick] [--only NAME]`). */
export interface BenchOptions {
  /** Short runs: fewer seconds per measurement, fewer repetitions. */
  quick: boolean
  /** Run just this benchmark module (file name under bench/ without extension). */
  only?: string
  /** Use the Node load generator even when wrk is installed. */
  nodeLoad: boolean
  /** Keep the temporary directories (data, logs, nginx config) for inspection. */
  keep: boolean
  /** Also measure nginx with `worker_processes auto`. */
  nginxAuto: boolean
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError'
}

/** Benchmark modules in the order they run; each exports run(options?): Promise<void>. Missing ones are skipped. */
export const MODULES = ['cache-http', 'gradle-build', 'sim', 'libp2p-stream', 'mesh-fetch', 'mesh-build', 'tui', 'node-idle', 'sim-jobs', 'distributed-build'] as const

/** The names, comma-separated, broken into lines of at most `width` characters, continuation lines indented. */
function wrapNames (names: readonly string[], width: number, indent: string): string {
  const lines: string[] = []
  let line = ''
  for (const [i, name] of names.entries()) {
    const word = name + (i < names.length - 1 ? ',' : '')
    if (line === '') line = word
    else if (line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = `${line} ${word}`
  }
  lines.push(line)
  return lines.join(`\n${indent}`)
}

/** The usage text; `--only` lists every module of `modules`. */
export function usage (modules: readonly string[] = MODULES): string {
  return `usage: npm run bench -- [--quick] [--only NAME] [--node-load] [--nginx-auto] [--keep]
  --quick        short runs (about a minute for the cache benchmarks)
  --only NAME    run one module: ${wrapNames(modules, 68, ' '.repeat(17))}
  --node-load    use the Node load generator even when wrk is installed
  --nginx-auto   also measure nginx with worker_processes auto (one worker per core)
  --keep         keep temporary directories and logs
GMESH_BENCH_NODE_ARGS="--no-fsync" passes extra options to the measured gmesh up.`
}

export const USAGE = usage()

export function parseBenchArgs (argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { quick: false, nodeLoad: false, keep: false, nginxAuto: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--quick') options.quick = true
    else if (arg === '--node-load') options.nodeLoad = true
    else if (arg === '--keep') options.keep = true
    else if (arg === '--nginx-auto') options.nginxAuto = true
    else if (arg === '--only') {
      const name = argv[++i]
      if (name == null || name.startsWith('--')) throw new BenchUsageError('--only needs a module name')
      options.only = name
    } else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length)
    else throw new BenchUsageError(`unknown argument ${arg}`)
  }
  return options
}

/** The options of the current process; modules whose run() takes no argument can read them here. */
let current: BenchOptions = { quick: process.env.GMESH_BENCH_QUICK === '1', nodeLoad: false, keep: false, nginxAuto: false }

export function currentBenchOptions (): BenchOptions {
  return current
}

export function setCurrentBenchOptions (options: BenchOptions): void {
  current = options
  if (options.quick) process.env.GMESH_BENCH_QUICK = '1'
}
