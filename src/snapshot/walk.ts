import type { Dirent } from 'node:fs'
import { lstat, readFile, readdir, readlink } from 'node:fs/promises'
import path from 'node:path'
import { UnsupportedFileNameError } from './errors.js'
import { IgnoreRules } from './ignore-rules.js'
import { GitView } from './git-view.js'

/** What a walk of a project tree found. Paths are relative POSIX paths. */
export interface WalkResult {
  files: Array<{ path: string, absolute: string }>
  links: Array<{ path: string, target: string }>
  /** Entries that are neither regular files, directories nor links (sockets, FIFOs, devices). */
  special: string[]
}

export interface WalkOptions {
  signal?: AbortSignal
  /** The git command (default `git`); without one, or outside a work tree, only the `.gitignore` files are read. */
  git?: string
  /** Told what the walk could not take into account (git missing, an enclosing repository ignoring the project). */
  warn?: (message: string) => void
}

/**
 * Lists the regular files and symbolic links of the tree at `root`, leaving out what IgnoreRules skips or git
 * ignores, unless git tracks it. In a git work tree git's verdict alone decides what is ignored (besides Gradle's
 * state and output directories): the .gitignore files are read only outside one, where a repository around the
 * project ignores the project itself, and in a repository nested in the work tree without being a submodule (git
 * does not look into it). Links are never followed; a `.gitignore` is read in every directory entered.
 */
export async function walkProject (root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const result: WalkResult = { files: [], links: [], special: [] }
  const git = await GitView.of(root, options)
  await walkDirectory({ root, result, signal: options.signal }, '', IgnoreRules.empty(), git)
  return result
}

interface Walk {
  root: string
  result: WalkResult
  signal: AbortSignal | undefined
}

/**
 * `git`: what git tracks (kept whatever any rule says) and ignores here; undefined outside a git work tree.
 * `onlyTracked`: the rules leave this directory out and it is walked for what git tracks in it, nothing else.
 */
async function walkDirectory (walk: Walk, dir: string, inherited: IgnoreRules, gitAbove: GitView | undefined, onlyTracked = false): Promise<void> {
  const { root, result, signal } = walk
  signal?.throwIfAborted()
  const absoluteDir = dir === '' ? root : path.join(root, dir)
  const entries = await readdir(absoluteDir, { withFileTypes: true })
  // a repository nested in the work tree that is no submodule: git neither tracks nor ignores anything in it
  const git = gitAbove !== undefined && dir !== '' && entries.some(e => e.name === '.git') && !gitAbove.isSubmodule(dir) ? undefined : gitAbove
  const rules = inherited.withFile(dir, await gitignoreOf(absoluteDir, entries))
  const subdirectories: Array<{ path: string, onlyTracked: boolean, rules: IgnoreRules }> = []
  for (const entry of entries) {
    // VCS data and Gradle's state are never taken, tracked or not
    if (IgnoreRules.alwaysSkips(entry.name)) continue
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`
    const absolute = path.join(absoluteDir, entry.name)
    const kind = await kindOf(entry, absolute)
    const isDirectory = kind === 'directory'
    const isTracked = git?.tracks(relative, isDirectory) === true
    const ruled = git?.decidesIgnores === true ? IgnoreRules.skipsGradleState(relative, isDirectory) : rules.skips(relative, isDirectory)
    const skipped = onlyTracked || ruled || git?.ignores(relative, isDirectory) === true
    if (skipped && !isTracked) continue
    // Node decodes names as UTF-8, putting U+FFFD for bytes that are not: such a name cannot be opened again
    if (entry.name.includes('\uFFFD')) throw new UnsupportedFileNameError(dir, entry.name)
    // in a submodule its own .gitignore files apply, not those above it (as in git, which asked it: git-view.ts)
    if (isDirectory) subdirectories.push(git?.isSubmodule(relative) === true ? { path: relative, onlyTracked: false, rules: IgnoreRules.empty() } : { path: relative, onlyTracked: skipped, rules })
    else if (kind === 'file') result.files.push({ path: relative, absolute })
    else if (kind === 'link') result.links.push({ path: relative, target: await readlink(absolute) })
    else result.special.push(relative)
  }
  for (const subdirectory of subdirectories) await walkDirectory(walk, subdirectory.path, subdirectory.rules, git, subdirectory.onlyTracked)
}

async function gitignoreOf (dir: string, entries: Dirent[]): Promise<string | undefined> {
  const entry = entries.find(e => e.name === '.gitignore')
  // like git, a .gitignore that is a symbolic link is not followed
  if (entry === undefined || !entry.isFile()) return undefined
  try {
    return await readFile(path.join(dir, '.gitignore'), 'utf8')
  } catch {
    return undefined
  }
}

async function kindOf (entry: Dirent, absolute: string): Promise<'directory' | 'file' | 'link' | 'special'> {
  if (entry.isDirectory()) return 'directory'
  if (entry.isFile()) return 'file'
  if (entry.isSymbolicLink()) return 'link'
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return 'special'
  // the file system did not say (DT_UNKNOWN): ask lstat
  const stats = await lstat(absolute)
  if (stats.isDirectory()) return 'directory'
  if (stats.isFile()) return 'file'
  return stats.isSymbolicLink() ? 'link' : 'special'
}
