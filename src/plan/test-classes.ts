/**
 * Test classes of a module, found from its sources, to balance its test shards (see `test-shards.ts`).
 *
 * A module `:a:b` lives in `<root>/a/b` (Gradle's default project directory). Gradle runs every
 * concrete class of the test source set that has JUnit tests, whatever its name, so its test
 * classes here are the concrete `src/test/java/**` classes with `@Test`, `@RunWith` or
 * `extends TestCase`, and those that extend a class of the same sources that has tests (they
 * inherit them). A filter on the name (default: `*Test`, `*Tests`, `Test*`, `*TestCase`) lets in,
 * besides, any concrete class so named that extends another: its tests may come from elsewhere.
 * Each class weighs its number of `@Test` methods (at least 1), so shards get similar amounts
 * of work. A class missed here (a Groovy test, a @ParameterizedTest-only class) still runs, in the
 * shard its name hashes to: this list only balances the shards.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

export interface TestClass {
  /** Fully qualified class name, as `--tests` takes it, e.g. `example.money.MoneyTest`. */
  name: string
  /** Relative cost: the number of `@Test` methods in the file, at least 1. */
  weight: number
}

/** File names (without `.java`) taken as test classes unless told otherwise. */
export const DEFAULT_TEST_CLASS_FILTER = /^(Test.*|.*Tests?|.*TestCase)$/

export class InvalidProjectPathError extends Error {
  static readonly code = 'ERR_INVALID_PROJECT_PATH'
  override name = 'InvalidProjectPathError'
}

/** The directory of project `projectPath` under the build's root, by Gradle's default layout. */
export function projectDirectory (rootDir: string, projectPath: string): string {
  if (!projectPath.startsWith(':')) throw new InvalidProjectPathError(`project path must start with ':', got '${projectPath}'`)
  const parts = projectPath.split(':').filter(part => part !== '')
  if (parts.some(part => part === '.' || part === '..' || part.includes('/') || part.includes('\\'))) {
    throw new InvalidProjectPathError(`project path '${projectPath}' does not name a directory inside the build`)
  }
  return path.join(rootDir, ...parts)
}

/** Test classes of one module, sorted by name; none when it has no `src/test/java`. */
export async function listTestClasses (rootDir: string, projectPath: string, filter = DEFAULT_TEST_CLASS_FILTER): Promise<TestClass[]> {
  const sourceRoot = path.join(projectDirectory(rootDir, projectPath), 'src', 'test', 'java')
  const sources = await Promise.all((await javaFilesUnder(sourceRoot)).map(async relative => describeSource(relative, await readFile(path.join(sourceRoot, relative), 'utf8'))))
  // classes with tests of their own or inherited from one in these sources (a fixed point over `extends`)
  const withTests = new Set(sources.filter(s => s.hasTests).map(s => s.simpleName))
  for (let grew = true; grew;) {
    grew = false
    for (const s of sources) {
      if (withTests.has(s.simpleName) || s.parent === undefined || !withTests.has(s.parent)) continue
      withTests.add(s.simpleName)
      grew = true
    }
  }
  const classes = sources
    .filter(s => !s.isAbstract && (withTests.has(s.simpleName) || (filter.test(s.simpleName) && s.parent !== undefined)))
    .map(s => ({ name: s.name, weight: s.weight }))
  return classes.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

interface SourceClass { name: string, simpleName: string, isAbstract: boolean, hasTests: boolean, parent?: string, weight: number }

/** What the test source file `relative` (`pkg/Name.java`) declares, as far as choosing test classes needs. */
function describeSource (relative: string, source: string): SourceClass {
  const simpleName = path.basename(relative, '.java')
  const parent = new RegExp(`class\\s+${simpleName}\\b[^{]*?\\bextends\\s+([\\w.]+)`).exec(source)?.[1]?.split('.').at(-1)
  return {
    name: relative.slice(0, -'.java'.length).split(path.sep).join('.'),
    simpleName,
    isAbstract: new RegExp(`abstract\\s+class\\s+${simpleName}\\b`).test(source),
    hasTests: /@Test\b|@RunWith\b|extends\s+TestCase\b/.test(source),
    ...(parent === undefined ? {} : { parent }),
    weight: Math.max(1, source.match(/@Test\b/g)?.length ?? 0)
  }
}

async function javaFilesUnder (dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return entries
    .filter(entry => entry.isFile() && entry.name.endsWith('.java'))
    .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)))
}
