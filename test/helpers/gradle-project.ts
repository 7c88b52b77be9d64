import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { repoPath } from './repo-paths.js'

export interface TempGradleProject {
  /** The copy of the example project. */
  projectDir: string
  /** A fresh, empty Gradle user home for this test only (use it with --no-daemon). */
  gradleUserHome: string
  /** Scratch directory inside the same temp tree. */
  scratchDir: string
  /** Removes everything. */
  cleanup: () => Promise<void>
}

/**
 * Copies `examples/<name>` (without build outputs) into a fresh temp directory, so that tests
 * running at the same time never share a build directory, with its own Gradle user home.
 */
export async function copyExample (name: string): Promise<TempGradleProject> {
  const root = await mkdtemp(path.join(tmpdir(), `gmesh-${name}-`))
  const projectDir = path.join(root, name)
  const skip = new Set(['build', '.gradle'])
  await cp(repoPath('examples', name), projectDir, {
    recursive: true,
    filter: source => !skip.has(path.basename(source))
  })
  return {
    projectDir,
    gradleUserHome: path.join(root, 'gradle-user-home'),
    scratchDir: root,
    cleanup: async () => { await rm(root, { recursive: true, force: true }) }
  }
}

/** Task paths of the example java-multi whose outputs Gradle caches (compile and test per module). */
export const JAVA_MULTI_CACHEABLE_TASKS = ['text', 'money', 'catalog', 'pricing', 'app']
  .flatMap(m => [`:${m}:compileJava`, `:${m}:compileTestJava`, `:${m}:test`])
  .sort()

/**
 * Per-test limit for tests that run real Gradle builds: each build takes 5-40 s on a busy
 * 2-core machine, longer than ava's global inactivity timeout allows for several in a row.
 */
export const GRADLE_TEST_TIMEOUT_MS = 5 * 60_000
