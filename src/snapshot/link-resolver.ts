import { LinkCheckBudgetError } from './errors.js'

/** Links followed in a chain while resolving one link target (Linux MAXSYMLINKS). */
const MAX_LINK_HOPS = 40
/**
 * Steps (a segment of a link's name, a segment of a target) one resolver may take: each link is resolved once,
 * so a real tree takes some ten per link; this bounds what a crafted manifest can make a node do (0.2 s).
 */
export const LINK_WORK_BUDGET = 1_000_000

/** Where a resolution got to: a directory of the tree (`node`), then `virtual` more names that no link lies in. */
interface Position { node: number, virtual: number }
type Resolution = { at: Position } | { escapes: string }

const ROOT = 0

/**
 * Resolves the links of a tree the way the kernel would (a `..` after a link applies to where the link points,
 * not to its name; parts that hold no link resolve lexically), each link once: a link met again, here or in
 * another link's target, reuses its resolution. Names are compared as `nameOf` gives them: exactly (Linux), or
 * folded (macOS's case- and normalisation-insensitive default file system). Throws LinkCheckBudgetError past
 * LINK_WORK_BUDGET steps.
 */
export class LinkResolver {
  /** The parent of each node; the nodes are the root, the links and the directories above them. */
  private readonly parents: number[] = [-1]
  /** `${parent}/${name}` -> node. */
  private readonly children = new Map<string, number>()
  /** node -> its link's target and, once known, its resolution (`resolving` while it is resolved: met again, a loop). */
  private readonly links = new Map<number, { path: string, target: string, resolution?: Resolution, resolving?: boolean }>()
  /** link path, as given -> its node */
  private readonly nodeOf = new Map<string, number>()
  private work = 0

  constructor (links: ReadonlyArray<{ path: string, target: string }>, private readonly nameOf: (segment: string) => string = name => name) {
    for (const link of links) {
      let node = ROOT
      for (const segment of link.path.split('/')) node = this.child(node, segment, true)!
      this.links.set(node, { path: link.path, target: link.target })
      this.nodeOf.set(link.path, node)
    }
  }

  /** Why the link at `path` (one of the resolver's links) leaves the tree, or undefined when it stays inside. */
  escapes (path: string): string | undefined {
    const node = this.nodeOf.get(path)
    if (node === undefined) throw new Error(`${path} is not one of the links given`)
    const resolution = this.resolve(node, 0)
    return 'escapes' in resolution ? resolution.escapes : undefined
  }

  private resolve (node: number, depth: number): Resolution {
    const link = this.links.get(node)!
    if (link.resolution !== undefined) return link.resolution
    if (link.resolving === true || depth > MAX_LINK_HOPS) return { escapes: 'too many levels of symbolic links' }
    link.resolving = true
    link.resolution = this.follow(this.parents[node]!, link.target, depth)
    link.resolving = false
    return link.resolution
  }

  /** Resolves `target` from the directory `from`, following the links it meets. */
  private follow (from: number, target: string, depth: number): Resolution {
    const why = targetProblem(target)
    if (why !== undefined) return { escapes: why }
    let at: Position = { node: from, virtual: 0 }
    for (const segment of target.split('/')) {
      this.spend()
      if (segment === '' || segment === '.') continue
      if (segment === '..') {
        if (at.virtual > 0) at = { node: at.node, virtual: at.virtual - 1 }
        else if (at.node === ROOT) return { escapes: 'the target leaves the tree' }
        else at = { node: this.parents[at.node]!, virtual: 0 }
        continue
      }
      const child = at.virtual > 0 ? undefined : this.child(at.node, segment, false)
      if (child === undefined) {
        at = { node: at.node, virtual: at.virtual + 1 }
        continue
      }
      const link = this.links.get(child)
      if (link === undefined) {
        at = { node: child, virtual: 0 }
        continue
      }
      const through = this.resolve(child, depth + 1)
      if ('escapes' in through) return { escapes: `the target goes through the link ${JSON.stringify(link.path)}, which is refused: ${through.escapes}` }
      at = through.at
    }
    return { at }
  }

  private child (parent: number, segment: string, create: boolean): number | undefined {
    this.spend()
    const key = `${parent}/${this.nameOf(segment)}`
    let node = this.children.get(key)
    if (node === undefined && create) {
      node = this.parents.length
      this.parents.push(parent)
      this.children.set(key, node)
    }
    return node
  }

  private spend (): void {
    if (++this.work > LINK_WORK_BUDGET) throw new LinkCheckBudgetError(LINK_WORK_BUDGET)
  }
}

/** Why a link's text alone is refused (empty, NUL, absolute), or undefined. */
function targetProblem (target: string): string | undefined {
  if (target.length === 0) return 'the target is empty'
  if (target.includes('\0')) return 'the target contains NUL'
  if (target.startsWith('/')) return 'the target is absolute'
  return undefined
}
