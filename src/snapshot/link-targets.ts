import { realpath } from 'node:fs/promises'
import path from 'node:path'

/**
 * The links with each absolute target that names a place inside the project made relative to the link, so a
 * worker's copy points into its own workspace: `/home/me/shop/lib/x` from `app/x` becomes `../lib/x`. The
 * project is recognised as given and as its real path (a target written through another link to it, as
 * macOS's `/tmp` is one to `/private/tmp`). The rest of the target is kept as written: the links it goes
 * through are resolved later, as for any relative target (paths.ts), and one leaving the project is skipped.
 */
export async function projectRelativeLinks (projectDir: string, links: ReadonlyArray<{ path: string, target: string }>): Promise<Array<{ path: string, target: string }>> {
  if (!links.some(link => link.target.startsWith('/'))) return [...links]
  const given = path.resolve(projectDir)
  const roots = [...new Set([given, await realpath(given)])]
  return links.map(link => {
    if (!link.target.startsWith('/')) return link
    const rest = restBelow(roots, link.target)
    if (rest === undefined) return link
    const up = link.path.split('/').slice(1).map(() => '..')
    return { path: link.path, target: [...up, ...(rest === '' ? [] : [rest])].join('/') || '.' }
  })
}

/** What follows one of `roots` in `target` (without leading slashes), or undefined when it is below none of them. */
function restBelow (roots: readonly string[], target: string): string | undefined {
  for (const root of roots) {
    const prefix = root.endsWith('/') ? root : `${root}/`
    if (target === root || `${target}/` === prefix) return ''
    if (target.startsWith(prefix)) return target.slice(prefix.length).replace(/^\/+/, '')
  }
  return undefined
}
