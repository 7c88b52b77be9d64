import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, found from this file whether it runs from test/ or compiled in dist/test/. */
export const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)))

function findRepoRoot (start: string): string {
  let dir = start
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${start}`)
    dir = parent
  }
  return dir
}

/** A path inside the repository, e.g. `repoPath('examples', 'java-multi')`. */
export function repoPath (...parts: string[]): string {
  return path.join(repoRoot, ...parts)
}
