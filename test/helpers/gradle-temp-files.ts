import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'

/** Java's java.io.tmpdir on Linux, whatever TMPDIR says: where Gradle's JVMs write temp files unless told otherwise. */
export const JAVA_TMPDIR = '/tmp'

/** The files Gradle 4.x leaves in its java.io.tmpdir: a test JVM's classpath file, dependency resolution results. */
const GRADLE_TEMP_FILE = /^(gradle-worker-classpath\d+txt|gradle\d+\.bin)$/

/**
 * The paths of the Gradle temp files in `dir` last modified since `since` that hold one of `marks` (a classpath file
 * names the workspace and the Gradle user home, a resolution result the root project): other tests' builds leave
 * theirs in /tmp at the same time, so a file counts only if its content ties it to the build under test.
 */
export async function gradleTempFilePaths (dir: string, since: number, marks: readonly string[]): Promise<string[]> {
  const found: string[] = []
  for (const name of (await readdir(dir)).filter(name => GRADLE_TEMP_FILE.test(name))) {
    const file = path.join(dir, name)
    const info = await stat(file).catch(() => undefined)
    if (info == null || info.mtimeMs < since) continue
    const content = await readFile(file).catch(() => Buffer.alloc(0))
    if (marks.some(mark => content.includes(mark))) found.push(file)
  }
  return found.sort()
}

/** The names of `gradleTempFilePaths`, with their digits as N. */
export async function gradleTempFilesOf (dir: string, since: number, marks: readonly string[]): Promise<string[]> {
  return (await gradleTempFilePaths(dir, since, marks)).map(file => path.basename(file).replace(/\d+/, 'N')).sort()
}
