import { DuplicatePathError, PathThroughLinkError, UnsafeLinkError, UnsafePathError, type UnsafePathReason } from './errors.js'

/** Longest manifest path accepted, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096
/** Longest single path segment accepted, in UTF-8 bytes (Linux NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255
/** Most segments in a manifest path or link target: far deeper than any project, and it keeps the tree checks linear. */
export const MAX_PATH_DEPTH = 256
/** Symbolic links followed while resolving one link target (Linux MAXSYMLINKS). */
const MAX_LINK_HOPS = 40

/** Why `path` is not a plain relative POSIX path (no leading `/`, no empty, `.` or `..` segment, no NUL), or undefined. */
export function unsafePathReason (path: string): UnsafePathReason | undefined {
  if (path.length === 0) return 'empty'
  if (path.includes('\0')) return 'nul'
  if (path.startsWith('/')) return 'absolute'
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return 'too-long'
  const segments = path.split('/')
  if (segments.length > MAX_PATH_DEPTH) return 'too-deep'
  for (const segment of segments) {
    if (segment === '') return 'empty-segment'
    if (segment === '.' || segment === '..') return 'dot-segment'
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return 'too-long'
  }
  return undefined
}

export function checkPath (path: string): void {
  const reason = unsafePathReason(path)
  if (reason !== undefined) throw new UnsafePathError(path, reason)
}

/** The directories above `path`, outermost first: `a/b/c` gives `a`, `a/b`. */
export function parentsOf (path: string): string[] {
  const parents: string[] = []
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) parents.push(path.slice(0, i))
  return parents
}

/**
 * Checks a set of entries as a tree: every path is safe, none appears twice, none lies below a file or a
 * link, and every link resolves (following the other links, as the kernel would) inside the tree.
 */
export function checkTree (entries: ReadonlyArray<{ path: string, target?: string }>): void {
  const kinds = new Map<string, 'file' | 'link'>()
  for (const entry of entries) {
    checkPath(entry.path)
    if (kinds.has(entry.path)) throw new DuplicatePathError(entry.path)
    kinds.set(entry.path, entry.target === undefined ? 'file' : 'link')
  }
  for (const entry of entries) {
    for (const parent of parentsOf(entry.path)) {
      const kind = kinds.get(parent)
      if (kind === 'link') throw new PathThroughLinkError(entry.path, parent)
      if (kind === 'file') throw new DuplicatePathError(entry.path, `lies below ${JSON.stringify(parent)}, which is a file`)
    }
  }
  const alike = linksNamedAlike(entries)[0]
  if (alike !== undefined) throw new DuplicatePathError(alike[1], `differs from the link ${JSON.stringify(alike[0])} only in case or Unicode form, which macOS's default file system does not tell apart`)
  const links = linkTargetsOf(entries)
  for (const entry of entries) {
    if (entry.target === undefined) continue
    const why = linkEscapes(entry.path, entry.target, links)
    if (why !== undefined) throw new UnsafeLinkError(entry.path, entry.target, why)
  }
}

/**
 * The links of a tree by exact name (as Linux resolves them) and by folded name (as a case- and
 * normalisation-insensitive filesystem does, macOS's APFS by default: there `A/..` goes through a link named
 * `a`). A link must stay inside the tree both ways. The folded names are only unambiguous when no two links
 * differ only in case or Unicode form (linksNamedAlike), which checkTree refuses and createSnapshot leaves out.
 */
export interface LinkTargets {
  readonly exact: ReadonlyMap<string, string>
  readonly folded: ReadonlyMap<string, string>
}

export function linkTargetsOf (entries: ReadonlyArray<{ path: string, target?: string }>): LinkTargets {
  const exact = new Map<string, string>()
  const folded = new Map<string, string>()
  for (const entry of entries) {
    if (entry.target === undefined) continue
    exact.set(entry.path, entry.target)
    folded.set(foldName(entry.path), entry.target)
  }
  return { exact, folded }
}

/** Pairs of links whose names differ only in case or Unicode form: [the first one, the other one]. */
export function linksNamedAlike (entries: ReadonlyArray<{ path: string, target?: string }>): Array<[string, string]> {
  const byFolded = new Map<string, string>()
  const pairs: Array<[string, string]> = []
  for (const entry of entries) {
    if (entry.target === undefined) continue
    const folded = foldName(entry.path)
    const first = byFolded.get(folded)
    if (first === undefined) byFolded.set(folded, entry.path)
    else pairs.push([first, entry.path])
  }
  return pairs
}

/** A path as a case- and normalisation-insensitive filesystem compares it. */
export function foldName (path: string): string {
  return path.normalize('NFC').toLowerCase()
}

/**
 * Resolves the link at `path` within the tree the way the kernel would (a `..` after a link applies to where
 * the link points, not to its name), following the other links of `links`. Parts that do not exist resolve
 * lexically. Says why the target leaves the tree, or undefined when it stays inside.
 */
export function linkEscapes (path: string, target: string, links: LinkTargets): string | undefined {
  return resolvedOutside(path, target, name => links.exact.get(name)) ?? resolvedOutside(path, target, name => links.folded.get(foldName(name)))
}

function resolvedOutside (path: string, target: string, linkAt: (name: string) => string | undefined): string | undefined {
  if (target.length === 0) return 'the target is empty'
  if (target.includes('\0')) return 'the target contains NUL'
  if (target.startsWith('/')) return 'the target is absolute'
  if (Buffer.byteLength(target) > MAX_PATH_BYTES || target.split('/').length > MAX_PATH_DEPTH) return `the target is longer than ${MAX_PATH_BYTES} bytes or ${MAX_PATH_DEPTH} segments`
  const resolved = path.split('/').slice(0, -1)
  const pending = target.split('/').reverse()
  let hops = 0
  while (pending.length > 0) {
    const segment = pending.pop()!
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (resolved.length === 0) return 'the target leaves the tree'
      resolved.pop()
      continue
    }
    resolved.push(segment)
    const next = linkAt(resolved.join('/'))
    if (next === undefined) continue
    if (++hops > MAX_LINK_HOPS) return 'too many levels of symbolic links'
    if (next.startsWith('/') || next.length === 0) return 'the target goes through a link with an absolute or empty target'
    resolved.pop()
    for (const part of next.split('/').reverse()) pending.push(part)
  }
  return undefined
}
