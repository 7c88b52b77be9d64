/**
 * JUnit XML results of a test task (`<module>/build/test-results/<task>/TEST-<class>.xml` by default, one file
 * per test class, wherever the build puts them: see `ReportDirs`): read from a shard's workspace, counted, and merged
 * into the module's results directory of the final build, which skips the sharded test task.
 */
import { existsSync } from 'node:fs'
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { projectDirectory } from '../plan/test-classes.js'

export interface TestReportFile {
  /** File name, e.g. `TEST-example.money.MoneyTest.xml`. */
  name: string
  /** The XML text. */
  content: string
}

export interface TestCounts {
  tests: number
  failures: number
  errors: number
  skipped: number
}

export interface MergedTestReports extends TestCounts {
  /** Where the reports were written. */
  dir: string
  /** Report files written, sorted. */
  files: string[]
  /**
   * What an earlier local run of the task left that the merge does not make and would contradict it: the binary
   * results (`<results>/binary`) and the HTML report (`build/reports/tests/<task>`, or where the task puts it), removed.
   */
  removedStale: string[]
}

export class TestReportError extends Error {
  static readonly code = 'ERR_TEST_REPORT'
  override name = 'TestReportError'
}

/** Most bytes of a test shard's reports: of the files read, and of the blob that carries them to the submitter. */
export const MAX_TEST_REPORTS_BYTES = 32 * 1024 * 1024

/** A test task's report files add up to more than may be read: none is read. */
export class TestReportsTooLargeError extends Error {
  static readonly code = 'ERR_TEST_REPORTS_TOO_LARGE'
  override name = 'TestReportsTooLargeError'
}

/**
 * Where a test task writes its reports, as Gradle says (the task-graph probe, the shard's init script): a build that
 * moves its build directory (`buildDir = 'out'`) or its reports moves them. Absent: the defaults under `build/`.
 */
export interface ReportDirs {
  /** The JUnit XML directory (`reports.junitXml`), absolute. */
  junitXml?: string
  /** The HTML report directory (`reports.html`), absolute. */
  html?: string
}

/** `TEST-<class>.xml`: Java class names may hold any letters (Unicode too), never a path separator. */
const REPORT_NAME = /^TEST-[^/\\\u0000-\u001f]+\.xml$/u

/** The results directory of a module's test task inside a build's root directory. */
export function testResultsDir (rootDir: string, project: string, testTaskName = 'test'): string {
  return path.join(projectDirectory(rootDir, project), 'build', 'test-results', testTaskName)
}

/**
 * The report files a test task left in a workspace (in `dir`, else the default one), sorted by name; none if it wrote
 * none. Only regular files are reports (a link, to /dev/zero say, is not followed). Their sizes are added up before
 * any is read: past `maxBytes` none is, and TestReportsTooLargeError says so (reading them whole could take gigabytes,
 * or fail on V8's longest string).
 */
export async function readTestReports (rootDir: string, project: string, testTaskName = 'test', dir = testResultsDir(rootDir, project, testTaskName),
  maxBytes = MAX_TEST_REPORTS_BYTES): Promise<TestReportFile[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const files: string[] = []
  let total = 0
  for (const name of names.filter(name => REPORT_NAME.test(name)).sort()) {
    const stats = await lstat(path.join(dir, name))
    if (!stats.isFile()) continue
    total += stats.size
    if (total > maxBytes) throw new TestReportsTooLargeError(`the test reports take ${total} bytes or more, over the limit of ${maxBytes}`)
    files.push(name)
  }
  const reports: TestReportFile[] = []
  for (const name of files) reports.push({ name, content: await readFile(path.join(dir, name), 'utf8') })
  return reports
}

/** Counts of a report's `<testsuite>` element. */
export function countTestReport (report: TestReportFile): TestCounts {
  const suite = /<testsuite\b([^>]*)>/.exec(report.content)?.[1]
  if (suite == null) throw new TestReportError(`${report.name} is not a JUnit XML report: it has no <testsuite> element`)
  const attribute = (name: string): number => {
    const value = new RegExp(`\\s${name}="(\\d+)"`).exec(suite)?.[1]
    return value == null ? 0 : Number(value)
  }
  return { tests: attribute('tests'), failures: attribute('failures'), errors: attribute('errors'), skipped: attribute('skipped') }
}

/** Sums the counts of many reports. */
export function sumTestCounts (reports: readonly TestReportFile[]): TestCounts {
  const total: TestCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 }
  for (const report of reports) {
    const counts = countTestReport(report)
    total.tests += counts.tests
    total.failures += counts.failures
    total.errors += counts.errors
    total.skipped += counts.skipped
  }
  return total
}

/**
 * Writes the reports of all shards of a module's test task into the module's results directory
 * under `rootDir`, and sums their counts. Every report is checked before anything is written; a
 * file name that is not a report's is refused. A class reported by two shards (a JUnit 4 suite in
 * one runs a class that also runs in another) ran twice, as in a plain build: both reports are
 * kept, the later shard's as `TEST-<class>-<shard>.xml` (no Java class name holds a `-`).
 */
export async function mergeTestReports (
  rootDir: string, project: string, shards: ReadonlyArray<readonly TestReportFile[]>, testTaskName = 'test', dirs: ReportDirs = {}
): Promise<MergedTestReports> {
  const named = new Map<string, TestReportFile>()
  for (const [index, reports] of shards.entries()) {
    for (const report of reports) {
      if (!REPORT_NAME.test(report.name)) throw new TestReportError(`'${report.name}' is not a test report file name (expected TEST-<class>.xml)`)
      named.set(distinctName(report.name, index + 1, named), report)
    }
  }
  const all = [...named.values()]
  const counts = sumTestCounts(all)
  const dir = dirs.junitXml ?? testResultsDir(rootDir, project, testTaskName)
  await mkdir(dir, { recursive: true })
  // as the test task itself does: reports of an earlier run (a class since renamed or deleted) do not stay beside these
  for (const old of (await readdir(dir)).filter(name => REPORT_NAME.test(name))) await rm(path.join(dir, old), { force: true })
  for (const [name, report] of named) await writeFile(path.join(dir, name), report.content)
  const stale = [path.join(dir, 'binary'), dirs.html ?? path.join(projectDirectory(rootDir, project), 'build', 'reports', 'tests', testTaskName)]
  const removedStale: string[] = []
  for (const old of stale) {
    if (!existsSync(old)) continue
    await rm(old, { recursive: true, force: true })
    removedStale.push(old)
  }
  return { ...counts, dir, files: [...named.keys()].sort(), removedStale }
}

/** `name`, or for a name already `taken`, `TEST-<class>-<shard>.xml` (then `-<shard>-2`, ...) not taken either. */
function distinctName (name: string, shard: number, taken: ReadonlyMap<string, unknown>): string {
  if (!taken.has(name)) return name
  const stem = name.slice(0, -'.xml'.length)
  for (let extra = 1; ; extra++) {
    const candidate = `${stem}-${shard}${extra === 1 ? '' : `-${extra}`}.xml`
    if (!taken.has(candidate)) return candidate
  }
}
