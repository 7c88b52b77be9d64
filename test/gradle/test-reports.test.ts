import test from 'ava'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { countTestReport, mergeTestReports, readTestReports, testResultsDir, TestReportError, TestReportsTooLargeError } from '../../src/gradle/test-reports.js'

function report (className: string, tests: number, failures = 0, skipped = 0): { name: string, content: string } {
  return {
    name: `TEST-${className}.xml`,
    content: `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${className}" tests="${tests}" skipped="${skipped}" failures="${failures}" errors="0" timestamp="2026-11-29T20:00:00" hostname="h" time="0.4">\n</testsuite>\n`
  }
}

async function tempRoot (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-reports-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  return root
}

test('reports of two shards land in the module\'s results directory with their counts summed', async t => {
  const root = await tempRoot(t)
  const merged = await mergeTestReports(root, ':io:store', [[report('p.ATest', 4, 1)], [report('p.BTest', 5, 0, 2), report('p.CTest', 3)]])
  t.is(merged.dir, path.join(root, 'io', 'store', 'build', 'test-results', 'test'))
  t.deepEqual(merged.files, ['TEST-p.ATest.xml', 'TEST-p.BTest.xml', 'TEST-p.CTest.xml'])
  t.like(merged, { tests: 12, failures: 1, errors: 0, skipped: 2 })
  t.deepEqual((await readdir(merged.dir)).sort(), merged.files)
  t.is(await readFile(path.join(merged.dir, 'TEST-p.BTest.xml'), 'utf8'), report('p.BTest', 5, 0, 2).content)
  // What a shard's workspace holds reads back the same.
  t.deepEqual(await readTestReports(root, ':io:store'), [report('p.ATest', 4, 1), report('p.BTest', 5, 0, 2), report('p.CTest', 3)])
})

test('the merge replaces the reports of an earlier run, as the test task does, and keeps classes with any letters in their names', async t => {
  const root = await tempRoot(t)
  const dir = testResultsDir(root, ':text')
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'TEST-p.GoneTest.xml'), report('p.GoneTest', 1, 1).content) // a class deleted since the last local run
  await writeFile(path.join(dir, 'output.bin'), 'not a report: left alone')
  const merged = await mergeTestReports(root, ':text', [[report('p.ÜberTest', 2)], [report('p.Outer$InnerTest', 1)]])
  t.deepEqual((await readdir(dir)).sort(), ['TEST-p.Outer$InnerTest.xml', 'TEST-p.ÜberTest.xml', 'output.bin'])
  t.like(merged, { tests: 3, failures: 0 })
  t.deepEqual((await readTestReports(root, ':text')).map(r => r.name), ['TEST-p.Outer$InnerTest.xml', 'TEST-p.ÜberTest.xml'], 'read back, Unicode name included')
})

test('a class reported by two shards (a JUnit 4 suite in one ran it too) is kept twice and counted twice, as a plain build runs it twice', async t => {
  const root = await tempRoot(t)
  const merged = await mergeTestReports(root, ':m', [[report('p.ATest', 2), report('p.AllTests', 2)], [report('p.ATest', 2, 1)], [report('p.ATest', 2)]])
  t.deepEqual(merged.files, ['TEST-p.ATest-2.xml', 'TEST-p.ATest-3.xml', 'TEST-p.ATest.xml', 'TEST-p.AllTests.xml'])
  t.like(merged, { tests: 8, failures: 1 })
  t.deepEqual((await readTestReports(root, ':m')).map(r => r.name), merged.files, 'every copy is a report Gradle and CI tools read back')
})

test('the binary results and HTML report an earlier local run left are removed, as they would contradict the merged reports', async t => {
  const root = await tempRoot(t)
  const binary = path.join(testResultsDir(root, ':m'), 'binary')
  const html = path.join(root, 'm', 'build', 'reports', 'tests', 'test')
  for (const dir of [binary, html]) {
    await mkdir(dir, { recursive: true })
    await writeFile(path.join(dir, 'index.html'), 'an earlier run')
  }
  const merged = await mergeTestReports(root, ':m', [[report('p.ATest', 1)], [report('p.BTest', 1)]])
  t.deepEqual(merged.removedStale, [binary, html])
  t.false(existsSync(binary))
  t.false(existsSync(html))
  t.deepEqual((await mergeTestReports(root, ':m', [[report('p.ATest', 1)]])).removedStale, [], 'nothing left to remove')
})

test('a file name that is not a report, or a non-report body is refused before anything is written', async t => {
  const root = await tempRoot(t)
  await t.throwsAsync(mergeTestReports(root, ':m', [[{ name: '../../evil.xml', content: '<testsuite tests="1">' }]]), { instanceOf: TestReportError })
  await t.throwsAsync(mergeTestReports(root, ':m', [[{ name: 'TEST-x.xml', content: 'garbage' }]]), { instanceOf: TestReportError, message: /no <testsuite>/ })
  t.deepEqual(await readTestReports(root, ':m'), [], 'nothing was written')
})

test('reading reports skips other files, and a module without results has none', async t => {
  const root = await tempRoot(t)
  const dir = testResultsDir(root, ':m')
  await mkdir(path.join(dir, 'binary'), { recursive: true })
  await writeFile(path.join(dir, 'binary', 'results.bin'), 'x')
  await writeFile(path.join(dir, 'TEST-a.BTest.xml'), report('a.BTest', 2).content)
  t.deepEqual((await readTestReports(root, ':m')).map(r => r.name), ['TEST-a.BTest.xml'])
  t.deepEqual(await readTestReports(root, ':other'), [])
  t.deepEqual(countTestReport(report('a.BTest', 2, 1)), { tests: 2, failures: 1, errors: 0, skipped: 0 })
})

test('reports go where the build puts them (buildDir = \'out\'), and the stale HTML report removed is the one there', async t => {
  const root = await tempRoot(t)
  const junitXml = path.join(root, 'text', 'out', 'test-results', 'test')
  const html = path.join(root, 'text', 'out', 'reports', 'tests', 'test')
  await mkdir(html, { recursive: true })
  const merged = await mergeTestReports(root, ':text', [[report('p.ATest', 2)]], 'test', { junitXml, html })
  t.is(merged.dir, junitXml)
  t.deepEqual(await readdir(junitXml), ['TEST-p.ATest.xml'])
  t.deepEqual(merged.removedStale, [html])
  t.false(existsSync(path.join(root, 'text', 'build')), 'nothing written under the default build/')
  t.deepEqual(await readTestReports(root, ':text', 'test', junitXml), [report('p.ATest', 2)])
})

test('report files that add up to more than the limit are refused before any is read; a link is not a report', async t => {
  const root = await tempRoot(t)
  const dir = testResultsDir(root, ':m')
  await mkdir(dir, { recursive: true })
  const small = report('a.ATest', 2)
  await writeFile(path.join(dir, 'TEST-a.ATest.xml'), small.content)
  await mkdir(path.join(root, 'elsewhere'))
  await writeFile(path.join(root, 'elsewhere', 'TEST-a.LinkedTest.xml'), report('a.LinkedTest', 1).content)
  await symlink(path.join(root, 'elsewhere', 'TEST-a.LinkedTest.xml'), path.join(dir, 'TEST-a.LinkedTest.xml'))
  t.deepEqual(await readTestReports(root, ':m'), [small])
  const size = Buffer.byteLength(small.content)
  await t.throwsAsync(readTestReports(root, ':m', 'test', undefined, size - 1), {
    instanceOf: TestReportsTooLargeError, message: `the test reports take ${size} bytes or more, over the limit of ${size - 1}`
  })
  // sparse: 600 MB that take no disk; read, they would take 600 MB of memory and make a string past V8's longest
  await writeFile(path.join(dir, 'TEST-a.BigTest.xml'), '')
  await truncate(path.join(dir, 'TEST-a.BigTest.xml'), 600 * 1024 * 1024)
  await t.throwsAsync(readTestReports(root, ':m'), { instanceOf: TestReportsTooLargeError, message: /^the test reports take \d+ bytes or more, over the limit of 33554432$/ })
})
