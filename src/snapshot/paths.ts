import { DuplicatePathError, InvalidManifestError, UnsafeLinkError, UnsafePathError, type UnsafePathReason } from './errors.js'
import { LinkResolver } from './link-resolver.js'
import { checkNesting } from './path-nesting.js'

/** Longest manifest path accepted, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096
/** Longest single path segment accepted, in UTF-8 bytes (Linux NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255
/** Most segments in a manifest path or link target: far deeper than any project, and it keeps the tree checks linear. */
export const MAX_PATH_DEPTH = 256
/** Most symbolic links in one manifest: far more than any project has, and it bounds the link checks. */
export const MAX_LINKS = 10_000

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
 * link, no two links are named alike but for case, and every link resolves (following the other links, as the
 * kernel would) inside the tree. Linear in the entries' bytes; the links' checks have a budget of steps.
 */
export function checkTree (entries: ReadonlyArray<{ path: string, target?: string }>): void {
  const links: Array<{ path: string, target: string }> = []
  for (const entry of entries) {
    checkPath(entry.path)
    if (entry.target !== undefined) links.push({ path: entry.path, target: entry.target })
  }
  if (links.length > MAX_LINKS) throw new InvalidManifestError(`${links.length} symbolic links is over the limit of ${MAX_LINKS}`)
  checkNesting(entries)
  const alike = linksNamedAlike(links)[0]
  if (alike !== undefined) throw new DuplicatePathError(alike[1], `differs from the link ${JSON.stringify(alike[0])} only in case or Unicode form, which macOS's default file system does not tell apart`)
  const escaping = linksEscaping(links)[0]
  if (escaping !== undefined) throw new UnsafeLinkError(escaping.path, escaping.target, escaping.why)
}

/** Pairs of links whose names differ only in case or Unicode form: [the first one, the other one]. */
export function linksNamedAlike (links: ReadonlyArray<{ path: string }>): Array<[string, string]> {
  const byFolded = new Map<string, string>()
  const pairs: Array<[string, string]> = []
  for (const link of links) {
    const folded = foldName(link.path)
    const first = byFolded.get(folded)
    if (first === undefined) byFolded.set(folded, link.path)
    else pairs.push([first, link.path])
  }
  return pairs
}

/** A path as a case- and normalisation-insensitive filesystem compares it. */
export function foldName (path: string): string {
  return path.normalize('NFC').toLowerCase()
}

/**
 * The links of a tree that leave it, and why. A link must stay inside both as Linux resolves names (exactly)
 * and as a case- and normalisation-insensitive file system does (macOS's APFS by default: there `A/..` goes
 * through a link named `a`). The folded names are only unambiguous when no two links are named alike
 * (linksNamedAlike), which checkTree refuses and createSnapshot leaves out. Each link is resolved once per way.
 */
export function linksEscaping (links: ReadonlyArray<{ path: string, target: string }>): Array<{ path: string, target: string, why: string }> {
  const escaping: Array<{ path: string, target: string, why: string }> = []
  const exact = new LinkResolver(links)
  const folded = new LinkResolver(links, foldName)
  for (const link of links) {
    const why = targetTooLong(link.target) ?? exact.escapes(link.path) ?? folded.escapes(link.path)
    if (why !== undefined) escaping.push({ ...link, why })
  }
  return escaping
}

function targetTooLong (target: string): string | undefined {
  if (Buffer.byteLength(target) > MAX_PATH_BYTES || target.split('/').length > MAX_PATH_DEPTH) return `the target is longer than ${MAX_PATH_BYTES} bytes or ${MAX_PATH_DEPTH} segments`
  return undefined
}
