import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/**
 * The files git tracks below a project directory, when it is inside a git work tree. git never lets its ignore
 * rules drop a tracked file (a `gradle-wrapper.jar` force-added under a `*.jar` rule, a subproject in a
 * directory named `build`), so neither does a snapshot: what is tracked is kept.
 */
export class TrackedFiles {
  private readonly directories = new Set<string>()

  private constructor (private readonly files: ReadonlySet<string>) {
    for (const file of files) {
      for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) this.directories.add(file.slice(0, i))
    }
  }

  /** What git tracks below `root` (paths relative to it), or undefined when there is no git or no work tree. */
  static async of (root: string, signal?: AbortSignal): Promise<TrackedFiles | undefined> {
    try {
      const { stdout } = await exec('git', ['ls-files', '-z'], { cwd: root, maxBuffer: 256 * 1024 * 1024, ...(signal === undefined ? {} : { signal }) })
      return new TrackedFiles(new Set(stdout.split('\0').filter(path => path !== '')))
    } catch {
      return undefined
    }
  }

  /** Whether `path` is a tracked file, or a directory holding one. */
  holds (path: string, isDirectory: boolean): boolean {
    return isDirectory ? this.directories.has(path) : this.files.has(path)
  }
}
