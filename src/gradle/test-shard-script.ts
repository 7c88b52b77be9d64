/**
 * The part of a test shard unit's init script that makes its test task run only the shard's classes: every class file
 * of the test classes whose top-level class hashes to another shard is excluded (`Test.exclude(Closure)`, Gradle 1+),
 * with the hash of `shardOfClass`. So each compiled class runs in exactly one shard, named or not by the planner.
 *
 * The exclusion narrows the task's candidate class files, an input: each shard gets its own cache key, and the
 * final build, which skips the sharded test task (`-x`), never reuses one. A shard whose classes turn out to be no
 * tests (a helper, a class the build script excludes) succeeds: the task has no source, or finds no tests, and
 * `failOnNoMatchingTests` (Gradle 1.10+) is off in case the build script filters tests by name.
 */
import { groovyString } from './init-script.js'

/**
 * Groovy defining `gmeshReportDir(report)`: the absolute directory of a test task's directory report
 * (`reports.junitXml`, `reports.html`), or null. Gradle 6.1+ has `outputLocation` (a `DirectoryProperty` on Gradle 8,
 * where `destination` is gone); Gradle 4.4 has only `destination` (a `File`).
 */
export const REPORT_DIR_GROOVY = [
  'def gmeshReportDir = { report ->',
  '    try {',
  '        if (report.respondsTo(\'getOutputLocation\')) return report.outputLocation.get().asFile.absolutePath',
  '        return report.destination?.absolutePath',
  '    } catch (Exception ignored) {',
  '        return null',
  '    }',
  '}'
].join('\n')

export interface TestShardScriptOptions {
  /** The sharded test task, e.g. `:money:test`. */
  testTask: string
  /** 1-based shard number. */
  index: number
  count: number
  salt: number
  /** A file the script writes the test task's JUnit XML directory to, as this Gradle says, for the worker to read the reports from. */
  reportDirFile?: string
}

/** Groovy to append to a shard unit's init script. */
export function renderTestShardScript (shard: TestShardScriptOptions): string {
  for (const [name, value] of Object.entries({ index: shard.index, count: shard.count, salt: shard.salt })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`test shard ${name} must be a non-negative integer, got ${value}`)
  }
  if (shard.index < 1 || shard.index > shard.count) throw new RangeError(`test shard ${shard.index} is not among 1..${shard.count}`)
  return [
    `// gmesh: this build is test shard ${shard.index}/${shard.count} of ${shard.testTask}: it runs the classes that hash to it`,
    `def gmeshShardTask = ${groovyString(shard.testTask)}`,
    `def gmeshShardIndex = ${shard.index - 1}L`,
    `def gmeshShardCount = ${shard.count}L`,
    `def gmeshShardSalt = '${shard.salt}:'`,
    `def gmeshReportDirFile = ${shard.reportDirFile == null ? 'null' : `new File(${groovyString(shard.reportDirFile)})`}`,
    REPORT_DIR_GROOVY,
    'gradle.taskGraph.whenReady { graph ->',
    '    if (gradle.parent != null) return // an included build has task paths of its own',
    '    graph.allTasks.findAll { it.path == gmeshShardTask }.each { test ->',
    '        def reportDir = gmeshReportDir(test.reports.junitXml)',
    '        if (gmeshReportDirFile != null && reportDir != null) gmeshReportDirFile.text = reportDir',
    '        test.filter.failOnNoMatchingTests = false',
    '        test.exclude { element ->',
    '            if (element.directory || !element.name.endsWith(\'.class\')) return false',
    '            def path = element.relativePath.pathString',
    '            def name = path.substring(0, path.length() - 6).replace(\'/\', \'.\')',
    '            int nested = name.indexOf(\'$\')',
    '            def text = gmeshShardSalt + (nested < 0 ? name : name.substring(0, nested))',
    '            long hash = 0x811c9dc5L', // FNV-1a and Murmur3's finaliser in 32 bits, as shardOfClass
    '            for (int i = 0; i < text.length(); i++) hash = ((hash ^ (long) text.charAt(i)) * 0x01000193L) & 0xffffffffL',
    '            hash ^= hash >>> 16',
    '            hash = (hash * 0x85ebca6bL) & 0xffffffffL',
    '            hash ^= hash >>> 13',
    '            hash = (hash * 0xc2b2ae35L) & 0xffffffffL',
    '            hash ^= hash >>> 16',
    '            hash % gmeshShardCount != gmeshShardIndex',
    '        }',
    '    }',
    '}',
    ''
  ].join('\n')
}
