import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { tmpDirOption } from '../../src/gradle/runner.js'
import { gradleTempFilePaths, JAVA_TMPDIR } from './gradle-temp-files.js'
import { repoPath } from './repo-paths.js'

export interface TempGradleProject {
  /** The copy of the example project. */
  projectDir: string
  /** A fresh, empty Gradle user home for this test only (use it with --no-daemon). */
  gradleUserHome: string
  /** Scratch directory inside the same temp tree. */
  scratchDir: string
  /**
   * The `java.io.tmpdir` for every Gradle JVM of this test (`tmpDir` of runGradle and runUnit), inside the same temp
   * tree: Gradle 4.x leaves a classpath file there for every test JVM, and its resolution results when killed.
   */
  javaTmpDir: string
  /** The environment that gives a Gradle run, or a gmesh command running Gradle, `javaTmpDir` (GRADLE_OPTS). */
  gradleEnv: Record<string, string>
  /** Removes everything; fails if a Gradle JVM of this test left its temp files in /tmp instead (removing them too). */
  cleanup: () => Promise<void>
}

/** Gradle JVMs of a test wrote their temp files into /tmp, where nothing removes them. */
export class GradleTempFilesLeftError extends Error {
  override name = 'GradleTempFilesLeftError'
}

/**
 * The environment that makes `dir` the `java.io.tmpdir` of the Gradle JVMs a run starts: GRADLE_OPTS reaches the
 * client JVM, which builds itself with --no-daemon, and the single-use or long-lived daemon it starts inherits it;
 * the test JVMs only read the classpath files the build JVM writes there. (`org.gradle.jvmargs` would reach the
 * daemon alone, and with --no-daemon costs a single-use daemon per build.)
 */
export function gradleTempEnv (dir: string): Record<string, string> {
  return { GRADLE_OPTS: [process.env.GRADLE_OPTS?.trim(), tmpDirOption(dir)].filter(part => part != null && part !== '').join(' ') }
}

/**
 * Copies `examples/<name>` (without build outputs) into a fresh temp directory, so that tests
 * running at the same time never share a build directory, with its own Gradle user home.
 */
export async function copyExample (name: string): Promise<TempGradleProject> {
  const since = Date.now() - 1000 // file times lag the clock by a few ms
  const root = await mkdtemp(path.join(tmpdir(), `gmesh-${name}-`))
  const projectDir = path.join(root, name)
  const javaTmpDir = path.join(root, 'java-tmp')
  // Gradle refuses to start with a java.io.tmpdir that does not exist
  await mkdir(javaTmpDir)
  const skip = new Set(['build', '.gradle'])
  await cp(repoPath('examples', name), projectDir, {
    recursive: true,
    filter: source => !skip.has(path.basename(source))
  })
  return {
    projectDir,
    gradleUserHome: path.join(root, 'gradle-user-home'),
    scratchDir: root,
    javaTmpDir,
    gradleEnv: gradleTempEnv(javaTmpDir),
    cleanup: async () => {
      // a classpath file names the Gradle user home's jars and the workspace, both under root
      const strays = await gradleTempFilePaths(JAVA_TMPDIR, since, [root])
      await Promise.all([root, ...strays].map(async file => { await rm(file, { recursive: true, force: true }) }))
      if (strays.length > 0) throw new GradleTempFilesLeftError(`Gradle JVMs of this test left ${strays.length} temp files in ${JAVA_TMPDIR} instead of ${javaTmpDir} (removed now): ${strays.join(', ')}`)
    }
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
