import { Command, CommanderError } from 'commander'
import { VERSION } from '../version.js'
import { InterruptedError, UsageError, OperationError } from './errors.js'
import { INTERRUPTED_EXIT_CODE } from '../build/build-failure.js'
import { registerCommands } from './commands/index.js'

/** Exit codes of the CLI contract (design.md): 0 success, 1 operation failed, 2 usage error; 130 a build (gmesh build, gradle, demo) or a cache gc stopped by a signal. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: INTERRUPTED_EXIT_CODE } as const

export function buildProgram (): Command {
  const program = new Command()
    .name('gmesh')
    .description('gradle-mesh: a peer-to-peer mesh of equal nodes sharing Gradle\'s build cache')
    .version(VERSION)
    .showHelpAfterError('(run gmesh --help for usage)')
    .exitOverride()
  registerCommands(program)
  return program
}

/** Runs the CLI and resolves to the process exit code; never calls process.exit itself. */
export async function main (argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok
  } catch (err) {
    return exitCodeFor(err)
  }
}

function exitCodeFor (err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return ExitCode.ok
    return ExitCode.usage
  }
  if (err instanceof UsageError) {
    process.stderr.write(`gmesh: ${err.message}\n`)
    return ExitCode.usage
  }
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`gmesh: ${message}\n`)
  if (err instanceof InterruptedError) return ExitCode.interrupted
  if (!(err instanceof OperationError) && process.env.GMESH_DEBUG != null && err instanceof Error) {
    process.stderr.write(`${err.stack ?? ''}\n`)
  }
  return ExitCode.failed
}
