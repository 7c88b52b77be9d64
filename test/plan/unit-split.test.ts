import test from 'ava'
import type { TaskGraph } from '../../src/gradle/task-graph.js'
import { finalBuildArgs, NothingToDistributeError, planUnits, PlanError } from '../../src/plan/units.js'
import { capturedGraph, dependencyNames, graphOf, unitNamed } from './plan-fixtures.js'

/**
 * java-multi plus `:testing`, shared test helpers that compile against `:money`, used by `:money`'s tests
 * (`testImplementation project(':testing')`): captured from the probe (src/gradle/task-graph.ts) with Gradle 4.4.1.
 * `:money:test` depends on `:money:jar` too (its runtime classpath has `:testing`'s, which has `:money`'s jar).
 */
async function testSupportGraph (): Promise<TaskGraph> {
  return await capturedGraph('test-support-build.json')
}

test('separate tests with a test-support module (Gradle 4.4.1): the test source set goes to the test unit, after the support module, without a cycle', async t => {
  const graph = await testSupportGraph()
  t.deepEqual(graph.tasks.find(task => task.path === ':money:test')?.dependencies, [':money:classes', ':money:jar', ':money:testClasses', ':testing:jar'])
  const plan = planUnits(graph, { requested: ['build'], separateTests: true })
  const money = unitNamed(plan, ':money')
  const moneyTest = unitNamed(plan, ':money:test')
  t.deepEqual(money.tasks, [':money:compileJava', ':money:processResources', ':money:classes', ':money:jar'])
  t.deepEqual(moneyTest.tasks, [':money:compileTestJava', ':money:processTestResources', ':money:testClasses', ':money:test'])
  t.deepEqual(moneyTest.run, [':money:test'])
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':testing')), [':money'])
  t.deepEqual(dependencyNames(plan, moneyTest), [':money', ':testing'])
  const position = new Map(plan.units.map((u, i) => [u.id, i]))
  for (const unit of plan.units) for (const dep of unit.dependsOn) t.true((position.get(dep) ?? 99) < (position.get(unit.id) ?? -1))
  t.deepEqual([...plan.units.flatMap(u => u.tasks), ...plan.finalBuildOnly].sort(), graph.tasks.map(task => task.path).sort(), 'every task once')
  t.deepEqual(finalBuildArgs(plan), ['build'])
})

test('separate tests: a task of the test source set that the main unit needs stays there (a test jar other modules use)', t => {
  const plan = planUnits(graphOf({
    ':a:compileJava': [],
    ':a:classes': [':a:compileJava'],
    ':a:compileTestJava': [':a:classes'],
    ':a:testClasses': [':a:compileTestJava'],
    ':a:testJar': [':a:testClasses'],
    ':a:test': [':a:classes', ':a:testClasses'],
    ':a:build': [':a:test', ':a:testJar']
  }), { requested: ['build'], separateTests: true })
  t.deepEqual(unitNamed(plan, ':a').tasks, [':a:compileJava', ':a:classes', ':a:compileTestJava', ':a:testClasses', ':a:testJar'])
  t.deepEqual(unitNamed(plan, ':a:test').tasks, [':a:test', ':a:build'])
})

test('separate tests of a module nothing else needs, asked for its tests alone: one unit, with the test source set', t => {
  const plan = planUnits(graphOf({
    ':a:compileJava': [],
    ':a:classes': [':a:compileJava'],
    ':a:compileTestJava': [':a:classes'],
    ':a:testClasses': [':a:compileTestJava'],
    ':a:test': [':a:classes', ':a:testClasses']
  }), { requested: ['test'], separateTests: true })
  t.deepEqual(plan.units.map(u => [u.name, u.run]), [[':a:test', [':a:test']]])
  t.is(plan.units[0]?.tasks.length, 5)
})

/** A library published to a repository, with a lifecycle `build` (Gradle 4.4's java and maven-publish plugins). */
const PUBLISHED = {
  ':lib:compileJava': [],
  ':lib:classes': [':lib:compileJava'],
  ':lib:jar': [':lib:classes'],
  ':lib:assemble': [':lib:jar'],
  ':lib:compileTestJava': [':lib:classes'],
  ':lib:testClasses': [':lib:compileTestJava'],
  ':lib:test': [':lib:classes', ':lib:testClasses'],
  ':lib:check': [':lib:test'],
  ':lib:build': [':lib:assemble', ':lib:check'],
  ':lib:generatePomFileForMavenPublication': [],
  ':lib:publishMavenPublicationToMavenRepository': [':lib:generatePomFileForMavenPublication', ':lib:jar'],
  ':lib:publish': [':lib:publishMavenPublicationToMavenRepository']
}
const PUBLISHED_OUTPUTLESS = [':lib:classes', ':lib:assemble', ':lib:testClasses', ':lib:check', ':lib:build', ':lib:publishMavenPublicationToMavenRepository', ':lib:publish']

test('a requested task without outputs (publish) is left to the final build: workers run what it needs, never the task itself', t => {
  const plan = planUnits(graphOf(PUBLISHED, PUBLISHED_OUTPUTLESS), { requested: ['publish'], separateTests: true })
  t.deepEqual(plan.units.map(u => [u.name, u.run]), [[':lib', [':lib:jar', ':lib:generatePomFileForMavenPublication']]])
  t.false(plan.units.some(u => u.tasks.some(task => task.includes('publish'))))
  t.deepEqual(plan.finalBuildOnly, [':lib:publishMavenPublicationToMavenRepository', ':lib:publish'])
  t.deepEqual(finalBuildArgs(plan), ['publish'])
})

test('`build`, `check` and `assemble` (no outputs) are left to the final build; the units still run the compilation and the tests', t => {
  const plan = planUnits(graphOf(PUBLISHED, PUBLISHED_OUTPUTLESS), { requested: ['build'], separateTests: true })
  t.deepEqual(plan.units.map(u => [u.name, u.run]), [[':lib', [':lib:jar']], [':lib:test', [':lib:test']]])
  t.deepEqual(plan.finalBuildOnly, [':lib:assemble', ':lib:check', ':lib:build'])
  t.deepEqual(unitNamed(plan, ':lib:test').tasks, [':lib:compileTestJava', ':lib:testClasses', ':lib:test'])
  t.deepEqual(finalBuildArgs(plan), ['build'])
  const together = planUnits(graphOf(PUBLISHED, PUBLISHED_OUTPUTLESS), { requested: ['build'] })
  t.deepEqual(together.units.map(u => u.run), [[':lib:jar', ':lib:test']])
})

test('a task without outputs that a task with outputs needs (an Exec generating sources) still runs on the worker', t => {
  const plan = planUnits(graphOf({
    ':a:generate': [],
    ':a:compileJava': [':a:generate'],
    ':a:exec': [':a:compileJava'],
    ':b:compileJava': [':a:exec']
  }, [':a:generate', ':a:exec']), { requested: [':b:compileJava'] })
  t.deepEqual(plan.units.map(u => [u.name, u.tasks]), [[':a', [':a:generate', ':a:compileJava', ':a:exec']], [':b', [':b:compileJava']]])
  t.deepEqual(plan.finalBuildOnly, [])
})

test('tasks that all declare no outputs (clean) leave workers nothing to do: a plan error saying to run them locally', t => {
  const graph = graphOf({ ':a:clean': [], ':b:clean': [] }, [':a:clean', ':b:clean'])
  const err = t.throws(() => planUnits(graph, { requested: ['clean'] }), { instanceOf: NothingToDistributeError })
  t.true(err instanceof PlanError)
  t.regex(err?.message ?? '', /nothing for workers to build: clean .*gmesh gradle -- clean$/)
})

test('sharded tests with a test-support module: the test source set is a unit of its own after the support module, the shards after it', async t => {
  const testClasses = new Map([[':money', [{ name: 'p.OneTest', weight: 1 }, { name: 'p.TwoTest', weight: 1 }]]])
  const plan = planUnits(await testSupportGraph(), { requested: ['build'], separateTests: true, shardTests: [{ module: 'money', shards: 2 }], testClasses })
  const sourceSet = unitNamed(plan, ':money:test classes')
  t.deepEqual(sourceSet.tasks, [':money:compileTestJava', ':money:processTestResources', ':money:testClasses'])
  t.deepEqual(dependencyNames(plan, sourceSet), [':money', ':testing'])
  t.deepEqual(unitNamed(plan, ':money').run, [':money:jar'])
  for (const shard of plan.units.filter(u => u.shard != null)) t.deepEqual(dependencyNames(plan, shard), [':money', ':money:test classes', ':testing'])
  t.deepEqual(finalBuildArgs(plan), ['build', ':money:classes', ':money:testClasses', '-x', ':money:test'])
})
