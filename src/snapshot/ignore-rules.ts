import ignore, { type Ignore } from 'ignore'

/** Directories a snapshot never takes: VCS data and Gradle's own state. */
const ALWAYS_SKIPPED = new Set(['.git', '.gradle'])

interface Layer {
  /** Directory of the .gitignore, relative to the project, '' for the root. */
  base: string
  rules: Ignore
}

/**
 * The `.gitignore` files in force for one directory of the walk, deepest last. As in git, a deeper file
 * overrides a higher one, and within a file the last matching rule wins; an excluded directory is not entered,
 * so nothing below it can be re-included.
 *
 * Patterns match case-sensitively, as git's do with its default `core.ignorecase=false` on Linux (the `ignore`
 * package would otherwise match `core` against `Core/`).
 *
 * Known difference from git: a directory that a higher file excludes and a deeper file re-includes (`!dir/`)
 * is entered, but the higher file's rule still excludes the files in it.
 */
export class IgnoreRules {
  private readonly layers: readonly Layer[]

  private constructor (layers: readonly Layer[]) {
    this.layers = layers
  }

  static empty (): IgnoreRules {
    return new IgnoreRules([])
  }

  /** Names never snapshotted, whatever the rules or git say: `.git` and `.gradle`. */
  static alwaysSkips (name: string): boolean {
    return ALWAYS_SKIPPED.has(name)
  }

  /** The rules for the directory `dir` (relative), adding the text of its own .gitignore when it has one. */
  withFile (dir: string, gitignoreText: string | undefined): IgnoreRules {
    if (gitignoreText === undefined) return this
    return new IgnoreRules([...this.layers, { base: dir, rules: ignore({ ignorecase: false }).add(gitignoreText) }])
  }

  /**
   * Whether `path` is left out whatever the .gitignore files say: `.git` and `.gradle` everywhere, and `build`
   * directories except below a `src` directory. In a git work tree, this and git's verdict decide (walk.ts).
   */
  static skipsGradleState (path: string, isDirectory: boolean): boolean {
    const segments = path.split('/')
    const name = segments[segments.length - 1]!
    if (ALWAYS_SKIPPED.has(name)) return true
    return isDirectory && name === 'build' && !segments.slice(0, -1).includes('src')
  }

  /**
   * Whether the project-relative `path` is left out of a snapshot. Besides the .gitignore rules: `.git` and
   * `.gradle` everywhere, and `build` directories except below a `src` directory (Gradle's output directories
   * sit beside build scripts, never among sources, where `build` may be a Java package).
   */
  skips (path: string, isDirectory: boolean): boolean {
    if (IgnoreRules.skipsGradleState(path, isDirectory)) return true
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!
      const relative = layer.base === '' ? path : path.slice(layer.base.length + 1)
      // a name of dots only ("...") is no pattern target for the library; no rule can be meant for it
      if (!ignore.isPathValid(relative)) continue
      const verdict = layer.rules.test(isDirectory ? `${relative}/` : relative)
      if (verdict.ignored) return true
      if (verdict.unignored) return false
    }
    return false
  }
}
