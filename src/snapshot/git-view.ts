import { lstat } from 'node:fs/promises'
import path from 'node:path'
import { nulSeparated, runGit } from './git-run.js'

/** The mode git gives a submodule's entry (a gitlink) in its index. */
const GITLINK_MODE = '160000'

export interface GitViewOptions {
  signal?: AbortSignal
  /** The git command (default `git`). */
  git?: string
  /** Told what the view could not take into account (git missing, an enclosing repository ignoring the project). */
  warn?: (message: string) => void
}

/** What git says about one repository and the submodules in it, paths relative to the project root. */
interface Listing {
  tracked: Set<string>
  /** Ignored files, and ignored directories with a trailing `/` (`./` for the project root itself). */
  ignored: Set<string>
  submodules: Set<string>
  /** A rule of the repository around the project ignores the project directory itself. */
  rootIgnored: boolean
}

/**
 * What git says about the files below a project directory inside a git work tree: what it tracks and what it
 * ignores. git never lets its ignore rules drop a tracked file (a `gradle-wrapper.jar` force-added under a `*.jar`
 * rule, a subproject in a directory named `build`), so neither does a snapshot: what is tracked is kept. What git
 * ignores is decided by all of git's rules, not only the `.gitignore` files below the project: those above it
 * (the build root is often a subdirectory of the repository), `.git/info/exclude` and `core.excludesFile`.
 * Each checked-out submodule is asked the same of its own files: its own rules apply in it, not the superproject's.
 */
export class GitView {
  private readonly trackedDirectories = new Set<string>()

  private constructor (private readonly listing: Listing) {
    for (const file of listing.tracked) {
      for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) this.trackedDirectories.add(file.slice(0, i))
    }
  }

  /**
   * git's view of `root` (paths relative to it), or undefined when git is missing (warned) or `root` is in no work
   * tree. Throws GitFailedError when git fails otherwise. Ignored directories come as one path each (`--directory`),
   * so a big ignored tree costs git one entry. When a rule of an enclosing repository ignores `root` itself, that
   * repository's ignore verdicts are not used (warned): the user asked for this directory, and its own `.gitignore`
   * files still apply, as outside git.
   */
  static async of (root: string, options: GitViewOptions = {}): Promise<GitView | undefined> {
    const git = options.git ?? 'git'
    const listing: Listing = { tracked: new Set(), ignored: new Set(), submodules: new Set(), rootIgnored: false }
    const answer = await listRepository(git, root, '', listing, options.signal)
    if (answer === 'git-missing') {
      options.warn?.(`"${git}" was not found: the snapshot of ${root} leaves out what its .gitignore files match, tracked or not, and knows no exclude rules above it`)
    }
    if (answer !== 'listed') return undefined
    if (listing.rootIgnored) {
      options.warn?.(`the git repository around ${root} ignores that directory itself: its .gitignore files from ${root} down are used instead of that repository's rules`)
    }
    return new GitView(listing)
  }

  /**
   * Whether git's ignore verdicts stand alone for the files git lists, the .gitignore files read by the walk
   * aside: not when a repository around the project ignores the project itself (its verdicts are not used then).
   */
  get decidesIgnores (): boolean {
    return !this.listing.rootIgnored
  }

  /** Whether `path` is a tracked file, or a directory holding one. */
  tracks (path: string, isDirectory: boolean): boolean {
    return isDirectory ? this.trackedDirectories.has(path) : this.listing.tracked.has(path)
  }

  /** Whether git ignores `path`. */
  ignores (path: string, isDirectory: boolean): boolean {
    return this.listing.ignored.has(isDirectory ? `${path}/` : path)
  }

  /** Whether the directory `path` is a checked-out submodule: the `.gitignore` files above it do not apply in it. */
  isSubmodule (path: string): boolean {
    return this.listing.submodules.has(path)
  }
}

/** Adds what git says of the repository at `root/prefix` and of its checked-out submodules to `into`. */
async function listRepository (git: string, root: string, prefix: string, into: Listing, signal?: AbortSignal): Promise<'listed' | 'not-a-repository' | 'git-missing'> {
  const dir = prefix === '' ? root : path.join(root, prefix)
  const [staged, others, rootIgnored] = await Promise.all([
    runGit(git, ['ls-files', '-z', '--stage'], dir, signal),
    runGit(git, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], dir, signal),
    // only the project root can be ignored by a rule above it; `--no-index`: also when files in it are tracked
    prefix === '' ? runGit(git, ['check-ignore', '--no-index', '-q', '--', './'], dir, signal, [1]) : undefined
  ])
  if (!('stdout' in staged) || !('stdout' in others) || (rootIgnored !== undefined && !('stdout' in rootIgnored))) {
    return [staged, others, rootIgnored].some(answer => answer !== undefined && 'gitMissing' in answer) ? 'git-missing' : 'not-a-repository'
  }
  const submodules: string[] = []
  for (const entry of nulSeparated(staged.stdout)) {
    // "<mode> <object> <stage>\t<path>"
    const tab = entry.indexOf('\t')
    const file = prefix + entry.slice(tab + 1)
    if (entry.startsWith(`${GITLINK_MODE} `)) submodules.push(file)
    else into.tracked.add(file)
  }
  // everything below would count as ignored (git lists "./", or each directory holding no tracked file); only the
  // project's own .gitignore files are used then (walk.ts)
  if (rootIgnored?.exitCode === 0) into.rootIgnored = true
  else for (const file of nulSeparated(others.stdout)) into.ignored.add(prefix + file)
  for (const submodule of submodules) {
    // one not checked out (no .git in it) is an empty directory; git would answer for the superproject there
    if (!await exists(path.join(root, submodule, '.git'))) continue
    into.submodules.add(submodule)
    await listRepository(git, root, `${submodule}/`, into, signal)
  }
  return 'listed'
}

async function exists (file: string): Promise<boolean> {
  try {
    await lstat(file)
    return true
  } catch {
    return false
  }
}
