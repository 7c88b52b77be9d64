import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { GitFailedError } from './errors.js'

const exec = promisify(execFile)

/** Room for the path lists of a very big work tree (a million paths of 250 bytes). */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024

/** git's exit code for a fatal error (`die()`): a missing repository, but also dubious ownership, a corrupt index... */
const GIT_FATAL = 128
/**
 * How git starts the message for a directory in no work tree (setup.c), also with "(or any parent up to mount point …)",
 * and for one inside a bare repository's directory, which has none either.
 */
const NOT_A_REPOSITORY = /^fatal: (not a git repository\b|this operation must be run in a work tree)/m

/** What one git command gave: its output, or why there is none that is not an error (no work tree here, no git). */
export type GitAnswer = { stdout: string, exitCode: number } | { notARepository: true } | { gitMissing: true }

/**
 * Runs `git args…` in `cwd`. Only git saying that `cwd` is in no work tree (exit 128, "not a git repository"), or
 * the command not being there (ENOENT), is an answer; any other failure (dubious ownership, a corrupt index, a
 * killed git) throws GitFailedError with git's stderr, since guessing would drop tracked files. `answers`: exit
 * codes besides 0 that are answers too (`git check-ignore` exits 1 for "not ignored").
 */
export async function runGit (git: string, args: string[], cwd: string, signal?: AbortSignal, answers: readonly number[] = []): Promise<GitAnswer> {
  try {
    const { stdout } = await exec(git, args, { cwd, maxBuffer: MAX_OUTPUT_BYTES, ...(signal === undefined ? {} : { signal }) })
    return { stdout, exitCode: 0 }
  } catch (err) {
    signal?.throwIfAborted()
    const { code, stderr, stdout } = err as { code?: unknown, stderr?: string, stdout?: string }
    if (typeof code === 'number' && answers.includes(code)) return { stdout: stdout ?? '', exitCode: code }
    // a missing `cwd` fails spawn the same way; then the walk fails on it, naming the directory
    if (code === 'ENOENT') return { gitMissing: true }
    if (code === GIT_FATAL && NOT_A_REPOSITORY.test(stderr ?? '')) return { notARepository: true }
    const said = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : (err as Error).message
    throw new GitFailedError(cwd, `${git} ${args.join(' ')}`, said, { cause: err })
  }
}

/** The paths of a `-z` listing. */
export function nulSeparated (stdout: string): string[] {
  return stdout.split('\0').filter(path => path !== '')
}
