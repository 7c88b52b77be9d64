/**
 * A source change that gives every module of a Java project new classes, for the warm round of the
 * distributed-build benchmark: one main class per module gets a `static final String` constant, or has it
 * bumped when a previous change put it there. A constant changes the class's bytes and its ABI, so each
 * module recompiles, its dependents recompile, and every test task runs again.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

export const REVISION_CONSTANT = 'GMESH_BENCH_REVISION'

export class ProjectChangeError extends Error {
  override name = 'ProjectChangeError'
}

export interface ChangedSource {
  /** Path relative to the project directory, with `/` separators. */
  file: string
  revision: number
}

const DECLARATION = /^[ \t]*(?:(?:public|protected|private|abstract|final|static|sealed|strictfp)\s+)*(?:class|interface|enum|record)\s+\w+[^{]*\{/m
const EXISTING = new RegExp(`(static\\s+final\\s+String\\s+${REVISION_CONSTANT}\\s*=\\s*")(\\d+)(";)`)

/** The source with the revision constant bumped, or added as revision 1 at the top of its first top-level type. */
export function bumpRevision (source: string): { source: string, revision: number } {
  const existing = EXISTING.exec(source)
  if (existing != null) {
    const revision = Number(existing[2]) + 1
    return { source: source.replace(EXISTING, `$1${revision}$3`), revision }
  }
  const declaration = DECLARATION.exec(source)
  if (declaration == null) throw new ProjectChangeError('no class, interface, enum or record declaration to add a constant to')
  const at = declaration.index + declaration[0].length
  const line = `\n    static final String ${REVISION_CONSTANT} = "1";`
  return { source: source.slice(0, at) + line + source.slice(at), revision: 1 }
}

async function isDir (path: string): Promise<boolean> {
  try { return (await stat(path)).isDirectory() } catch { return false }
}

/** Every .java file under dir, sorted by path, so two copies of a project pick the same file. */
async function javaFiles (dir: string): Promise<string[]> {
  const found: string[] = []
  const entries = await readdir(dir, { withFileTypes: true })
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, e.name)
    if (e.isDirectory()) found.push(...await javaFiles(path))
    else if (e.isFile() && e.name.endsWith('.java')) found.push(path)
  }
  return found
}

/**
 * Changes the first main source (by sorted path) of every top-level module that has `src/main/java`.
 * The same project copied twice and changed twice gets the same files and revisions.
 */
export async function changeEveryModule (projectDir: string): Promise<ChangedSource[]> {
  const changed: ChangedSource[] = []
  const modules = (await readdir(projectDir, { withFileTypes: true })).filter(e => e.isDirectory()).map(e => e.name).sort()
  for (const module of modules) {
    const sources = join(projectDir, module, 'src', 'main', 'java')
    if (!(await isDir(sources))) continue
    const [first] = await javaFiles(sources)
    if (first == null) continue
    const bumped = bumpRevision(await readFile(first, 'utf8'))
    await writeFile(first, bumped.source)
    changed.push({ file: relative(projectDir, first).split('\\').join('/'), revision: bumped.revision })
  }
  if (changed.length === 0) throw new ProjectChangeError(`no module with main Java sources under ${projectDir}`)
  return changed
}
