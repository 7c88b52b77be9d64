import test from 'ava'
import { readFile } from 'node:fs/promises'
import {
  parseBuildOutput, parseTaskLine, parseActionableLine, BuildOutputParser, type BuildSummary
} from '../../src/gradle/build-output.js'
import { repoPath } from '../helpers/repo-paths.js'

/** Output captured from Gradle 4.4.1 building examples/java-multi through an in-test HTTP cache. */
async function captured (name: string): Promise<BuildSummary> {
  const dir = repoPath('test', 'gradle', 'fixtures', 'gradle-4.4.1')
  const parser = new BuildOutputParser()
  parser.push(await readFile(`${dir}/${name}.stdout.txt`, 'utf8'), 'stdout')
  parser.push(await readFile(`${dir}/${name}.stderr.txt`, 'utf8'), 'stderr')
  return parser.summary()
}

const MODULES = ['text', 'money', 'catalog', 'pricing', 'app']
const CACHEABLE = MODULES.flatMap(m => [`:${m}:compileJava`, `:${m}:compileTestJava`, `:${m}:test`])

test('4.4.1 cold build: every task ran, the actionable line agrees', async t => {
  const summary = await captured('cold-build')
  t.is(summary.result, 'success')
  t.deepEqual(summary.actionable, { total: 25, executed: 25, fromCache: 0, upToDate: 0 })
  for (const path of CACHEABLE) t.is(summary.tasks.find(task => task.path === path)?.outcome, 'EXECUTED', path)
  t.is(summary.counts.noSource, 10)
  t.is(summary.counts.fromCache, 0)
})

test('4.4.1 build after clean: compile and test tasks come FROM-CACHE, jars run again', async t => {
  const summary = await captured('from-cache-build')
  t.is(summary.result, 'success')
  t.deepEqual(summary.actionable, { total: 25, executed: 10, fromCache: 15, upToDate: 0 })
  const fromCache = summary.tasks.filter(task => task.outcome === 'FROM-CACHE').map(task => task.path)
  t.deepEqual(fromCache.sort(), [...CACHEABLE].sort())
  t.is(summary.tasks.find(task => task.path === ':app:jar')?.outcome, 'EXECUTED')
  t.is(summary.counts.fromCache, 15)
})

test('4.4.1 repeated build: everything UP-TO-DATE', async t => {
  const summary = await captured('up-to-date-build')
  t.deepEqual(summary.actionable, { total: 20, executed: 0, fromCache: 0, upToDate: 20 })
  t.is(summary.counts.executed, 0)
  t.is(summary.counts.upToDate, 45)
})

test('4.4.1 failed build: the task whose output interrupted its header is FAILED, BUILD FAILED is seen on stderr', async t => {
  const summary = await captured('failed-build')
  t.is(summary.result, 'failed')
  t.is(summary.tasks.find(task => task.path === ':app:test')?.outcome, 'FAILED')
  t.is(summary.counts.failed, 1)
  t.deepEqual(summary.actionable, { total: 11, executed: 1, fromCache: 0, upToDate: 10 })
})

test('Gradle 5+ task lines ("> Task :path OUTCOME") are understood', t => {
  // Written after the documented plain-console format of Gradle 8 (no Gradle 8 on this machine).
  const output = [
    '> Task :core:compileJava FROM-CACHE',
    '> Task :core:processResources NO-SOURCE',
    '> Task :core:classes UP-TO-DATE',
    '> Task :core:jar',
    '> Task :core:test',
    'some test output',
    '> Task :core:test FAILED',
    '> Task :app:javadoc SKIPPED',
    '',
    'BUILD FAILED in 2s',
    '4 actionable tasks: 2 executed, 1 from cache, 1 up-to-date'
  ].join('\r\n')
  const summary = parseBuildOutput(output)
  t.deepEqual(summary.tasks, [
    { path: ':core:compileJava', outcome: 'FROM-CACHE' },
    { path: ':core:processResources', outcome: 'NO-SOURCE' },
    { path: ':core:classes', outcome: 'UP-TO-DATE' },
    { path: ':core:jar', outcome: 'EXECUTED' },
    { path: ':core:test', outcome: 'FAILED' },
    { path: ':app:javadoc', outcome: 'SKIPPED' }
  ])
  t.deepEqual(summary.counts, { executed: 1, fromCache: 1, upToDate: 1, noSource: 1, skipped: 1, failed: 1 })
  t.deepEqual(summary.actionable, { total: 4, executed: 2, fromCache: 1, upToDate: 1 })
  t.is(summary.result, 'failed')
})

test('lines split across chunks are reassembled', t => {
  const parser = new BuildOutputParser()
  for (const chunk of [':core:comp', 'ileJava FROM-', 'CACHE\n:core:j', 'ar\n3 actionable tasks: 1 exec', 'uted, 2 from cache']) parser.push(chunk)
  const summary = parser.summary()
  t.deepEqual(summary.tasks.map(task => task.outcome), ['FROM-CACHE', 'EXECUTED'])
  t.is(summary.actionable?.fromCache, 2)
})

test('lines that are not task lines are ignored', t => {
  t.is(parseTaskLine('Build cache is an incubating feature.'), undefined)
  t.is(parseTaskLine(':app:testWARNING: A terminally deprecated method'), undefined)
  t.is(parseTaskLine(':core:compileJava SOMETHING-ELSE'), undefined)
  t.deepEqual(parseTaskLine(':compileJava'), { path: ':compileJava' })
  t.is(parseActionableLine('BUILD SUCCESSFUL in 3s'), undefined)
  t.deepEqual(parseActionableLine('1 actionable task: 1 executed'), { total: 1, executed: 1, fromCache: 0, upToDate: 0 })
})
