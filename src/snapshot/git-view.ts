import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** Room for the path lists of a very big work tree (a million paths of 250 bytes). */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024

/**
 * What git says about the files below a project directory inside a git work tree: what it tracks and what it
 * ignores. git never lets its ignore rules drop a tracked file (a `gradle-wrapper.jar` force-added under a `*.jar`
 * rule, a subproject in a directory named `build`), so neither does a snapshot: what is tracked is kept. What git
 * ignores is decided by all of git's rules, not only the `.gitignore` files below the project: those above it
 * (the build root is often a subdirectory of the repository), `.git/info/exclude` and `core.excludesFile`.
 */
export class GitView {
  private readonly trackedDirectories = new Set<string>()

  private constructor (private readonly tracked: ReadonlySet<string>, private readonly ignored: ReadonlySet<string>) {
    for (const file of tracked) {
      for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) this.trackedDirectories.add(file.slice(0, i))
    }
  }

  /**
   * git's view of `root` (paths relative to it), or undefined when git is missing or `root` is in no work tree.
   * Ignored directories come as one path each (`--directory`), so a big ignored tree costs git one entry.
   */
  static async of (root: string, options: { signal?: AbortSignal, git?: string } = {}): Promise<GitView | undefined> {
    const git = options.git ?? 'git'
    const list = async (args: string[]): Promise<Set<string>> => {
      const { stdout } = await exec(git, ['ls-files', '-z', ...args], { cwd: root, maxBuffer: MAX_OUTPUT_BYTES, ...(options.signal === undefined ? {} : { signal: options.signal }) })
      return new Set(stdout.split('\0').filter(path => path !== ''))
    }
    try {
      const [tracked, ignored] = await Promise.all([list([]), list(['--others', '--ignored', '--exclude-standard', '--directory'])])
      return new GitView(tracked, ignored)
    } catch {
      options.signal?.throwIfAborted()
      return undefined
    }
  }

  /** Whether `path` is a tracked file, or a directory holding one. */
  tracks (path: string, isDirectory: boolean): boolean {
    return isDirectory ? this.trackedDirectories.has(path) : this.tracked.has(path)
  }

  /** Whether git ignores `path` (a rule above the project ignoring the project itself ignores everything in it). */
  ignores (path: string, isDirectory: boolean): boolean {
    if (this.ignored.has('./')) return true
    return isDirectory ? this.ignored.has(`${path}/`) : this.ignored.has(path)
  }
}
