import test from 'ava'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TaskGraph } from '../../src/gradle/task-graph.js'
import { UnitCycleError } from '../../src/plan/dag.js'
import { mergeShardReports } from '../../src/plan/final-build.js'
import { planBuild } from '../../src/plan/plan-build.js'
import { shardOfClass } from '../../src/plan/test-shards.js'
import { finalBuildArgs, planUnits, PlanError, projectOf, unitGradleArgs, UnresolvedTaskError, type Unit } from '../../src/plan/units.js'
import { repoPath } from '../helpers/repo-paths.js'
import { capturedGraph, dependencyNames, graphOf, unitNamed } from './plan-fixtures.js'

/** Two Java-like modules: :b compiles against :a's jar. */
const TWO_MODULES = graphOf({
  ':a:compileJava': [],
  ':a:jar': [':a:compileJava'],
  ':a:test': [':a:compileJava'],
  ':a:build': [':a:jar', ':a:test'],
  ':b:compileJava': [':a:jar'],
  ':b:jar': [':b:compileJava'],
  ':b:build': [':b:jar']
})

async function javaMultiGraph (): Promise<TaskGraph> {
  return await capturedGraph('java-multi-build.json') // examples/java-multi
}

test('project of a task path', t => {
  t.is(projectOf(':a:b:compileJava'), ':a:b')
  t.is(projectOf(':build'), ':')
})

test('one unit per project, wired by the task edges across projects, each run by its terminal tasks', t => {
  const plan = planUnits(TWO_MODULES, { requested: ['build'] })
  t.deepEqual(plan.units.map(u => u.name), [':a', ':b'])
  const [a, b] = plan.units as [Unit, Unit]
  t.deepEqual(a.tasks, [':a:compileJava', ':a:jar', ':a:test', ':a:build'])
  t.deepEqual(a.run, [':a:build'])
  t.deepEqual(a.dependsOn, [])
  t.deepEqual(b.dependsOn, [a.id])
  t.deepEqual(unitGradleArgs(b), [':b:build'])
  t.deepEqual(plan.finalBuildExcludes, [])
  t.deepEqual(finalBuildArgs(plan), ['build'])
})

test('unit ids are derived from what the unit runs: the same plan twice has the same ids, other work another id', t => {
  const first = planUnits(TWO_MODULES, { requested: ['build'] })
  const again = planUnits(structuredClone(TWO_MODULES), { requested: ['build'] })
  t.deepEqual(again, first)
  t.regex(first.units[0]?.id ?? '', /^[0-9a-f]{16}$/)
  const onlyJar = planUnits(TWO_MODULES, { requested: [':a:jar'] })
  t.deepEqual(onlyJar.units.map(u => u.run), [[':a:jar']])
  t.deepEqual(onlyJar.units[0]?.tasks, [':a:compileJava', ':a:jar'])
  t.not(onlyJar.units[0]?.id, first.units[0]?.id)
})

test('a requested task missing from the graph, or an edge to a task outside it, is a plan error', t => {
  t.throws(() => planUnits(TWO_MODULES, { requested: ['deploy'] }), { instanceOf: UnresolvedTaskError, message: /no task of the build is named 'deploy'.*give full task names/ })
  t.throws(() => planUnits(TWO_MODULES, { requested: [] }), { instanceOf: PlanError })
  const broken = graphOf({ ':a:jar': [':a:ghost'] })
  t.throws(() => planUnits(broken, { requested: ['jar'] }), { instanceOf: PlanError, message: /:a:ghost, which is not in the task graph/ })
  t.throws(() => planUnits(TWO_MODULES, { requested: ['build'], shardTests: [{ module: 'b', shards: 2 }] }), { instanceOf: PlanError, message: /:b:test is not among the planned tasks/ })
  t.throws(() => planUnits(TWO_MODULES, { requested: ['build'], shardTests: [{ module: 'a', shards: 0 }] }), { instanceOf: PlanError })
})

test('an abbreviation (cJ) plans the tasks Gradle selected for it when the graph was probed for it, and the final build asks Gradle the same', t => {
  const probed: TaskGraph = { ...TWO_MODULES, requested: ['cJ'], selected: [':a:compileJava', ':b:compileJava'] }
  const plan = planUnits(probed, { requested: ['cJ'] })
  t.deepEqual(plan.units.map(u => u.run), [[':a:jar'], [':b:compileJava']])
  t.deepEqual(finalBuildArgs(plan), ['cJ'])
})

test('from a subproject, a name plans only what Gradle selected there, not the same name in other projects of the graph', t => {
  // `gradle jar` in b/: :b:jar, which needs :a:jar (in the graph, as a dependency)
  const probed: TaskGraph = { ...graphOf({ ':a:compileJava': [], ':a:jar': [':a:compileJava'], ':b:compileJava': [':a:jar'], ':b:jar': [':b:compileJava'] }), requested: ['jar'], selected: [':b:jar'] }
  const plan = planUnits(probed, { requested: ['jar'] })
  t.deepEqual(plan.units.map(u => u.run), [[':a:jar'], [':b:jar']])
})

test('a graph probed for other tasks is matched by name: a subset of it can be planned, an unknown name is refused', t => {
  const probed: TaskGraph = { ...TWO_MODULES, requested: ['build'], selected: [':a:build', ':b:build'] }
  t.deepEqual(planUnits(probed, { requested: [':a:jar'] }).units.map(u => u.run), [[':a:jar']])
  t.throws(() => planUnits(probed, { requested: ['cJ'] }), { instanceOf: UnresolvedTaskError })
})

test('projects whose tasks depend on each other both ways are a named cycle error', t => {
  const graph = graphOf({ ':a:x': [], ':b:y': [':a:x'], ':a:z': [':b:y'], ':c:w': [':a:z'] })
  const err = t.throws(() => planUnits(graph, { requested: ['w'] }), { instanceOf: UnitCycleError })
  t.regex(err?.message ?? '', /:a -> :b -> :a|:b -> :a -> :b/)
  t.regex(err?.message ?? '', /instead: gmesh gradle -- <tasks>$/, 'and what to do')
  t.is(err?.cycle.length, 3)
})

test('java-multi (probed with Gradle 4.4.1): five units following the module dependencies, every task in exactly one', async t => {
  const graph = await javaMultiGraph()
  const plan = planUnits(graph, { requested: ['build'] })
  t.deepEqual(plan.units.map(u => u.name), [':money', ':text', ':catalog', ':pricing', ':app'])
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':catalog')), [':money', ':text'])
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':pricing')), [':catalog', ':money', ':text'])
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':app')), [':catalog', ':money', ':pricing', ':text'])
  for (const unit of plan.units) t.deepEqual(unit.run, [`${unit.project}:build`])
  const covered = plan.units.flatMap(u => u.tasks).sort()
  t.deepEqual(covered, graph.tasks.map(task => task.path).sort())
  // Dependencies come first.
  const position = new Map(plan.units.map((u, i) => [u.id, i]))
  for (const unit of plan.units) for (const dep of unit.dependsOn) t.true((position.get(dep) ?? 99) < (position.get(unit.id) ?? -1))
})

test('java-multi with :text tests in two shards: one class per shard after :text and its test classes, and the final build skips :text:test', async t => {
  const plan = await planBuild(await javaMultiGraph(), {
    rootDir: repoPath('examples', 'java-multi'), requested: ['build'], shardTests: [{ module: 'text', shards: 2 }]
  })
  const text = unitNamed(plan, ':text')
  const testClasses = unitNamed(plan, ':text:test classes')
  const shards = plan.units.filter(u => u.shard?.testTask === ':text:test')
  t.is(shards.length, 2)
  const [sharded] = plan.shardedTestTasks
  t.deepEqual(sharded?.classes.map(group => group.length), [1, 1], 'one known class per shard')
  t.deepEqual(sharded?.classes.flat().sort(), ['example.text.ColumnsTest', 'example.text.SlugTest'])
  for (const [index, shard] of shards.entries()) {
    t.deepEqual(dependencyNames(plan, shard), [':text', ':text:test classes'])
    t.like(shard.shard, { testTask: ':text:test', index: index + 1, count: 2 })
    t.is(shardOfClass(sharded?.classes[index]?.[0] ?? '', shard.shard?.salt ?? -1, 2), index, 'the hash the worker applies puts the class there')
    t.deepEqual(unitGradleArgs(shard), [':text:test'], 'classes are chosen by the unit\'s init script, not --tests')
  }
  t.not(shards[0]?.id, shards[1]?.id)
  // The module's unit and its test source set's build everything up to the tests, never the test task itself.
  t.false(text.tasks.includes(':text:test') || testClasses.tasks.includes(':text:test'))
  t.deepEqual(text.run, [':text:assemble'])
  t.deepEqual(testClasses.tasks, [':text:compileTestJava', ':text:processTestResources', ':text:testClasses'])
  t.deepEqual(unitGradleArgs(testClasses), [':text:testClasses'])
  t.deepEqual(dependencyNames(plan, testClasses), [':text'])
  // :catalog needs :text's jar, not its tests.
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':catalog')), [':money', ':text'])
  t.like(plan.shardedTestTasks[0], { task: ':text:test', project: ':text', shardUnits: shards.map(u => u.id) })
  t.deepEqual(plan.finalBuildOnly, [':text:check', ':text:build'])
  // -x drops what only the test task needs: named, the test classes still compile (FROM-CACHE) in the final build
  t.deepEqual(plan.finalBuildKeeps, [':text:classes', ':text:testClasses'])
  t.deepEqual(finalBuildArgs(plan), ['build', ':text:classes', ':text:testClasses', '-x', ':text:test'])
})

test('testShardsPerModule shards only modules with more than one test class', async t => {
  const plan = await planBuild(await javaMultiGraph(), { rootDir: repoPath('examples', 'java-multi'), requested: ['build'], testShardsPerModule: 4 })
  t.deepEqual(plan.finalBuildExcludes, [':text:test'])
  t.is(plan.units.length, 5 + 1 + 2, 'the modules, :text\'s test classes, its shards')
  t.deepEqual(unitNamed(plan, ':money').run, [':money:build'])
})

test('a module asked to be sharded whose sources show fewer than two test classes (a projectDir moved in settings) runs unsplit, with a warning', t => {
  const testClasses = new Map([[':a', [{ name: 'p.OnlyTest', weight: 1 }]], [':b', []]])
  const plan = planUnits(TWO_MODULES, { requested: ['build'], shardTests: [{ module: 'a', shards: 3 }], testClasses })
  t.deepEqual(plan.shardedTestTasks, [])
  t.is(plan.warnings.length, 1)
  t.regex(plan.warnings[0] ?? '', /^:a:test runs in one unit, not in shards: gmesh found one test class .*projectDir set in settings\.gradle/)
  const perModule = planUnits(TWO_MODULES, { requested: ['build'], testShardsPerModule: 2, testClasses })
  t.deepEqual(perModule.warnings, [], '--shard-tests leaves modules with too few classes alone, as documented')
})

test('a task that depends on a sharded test task waits for every shard', t => {
  const graph = graphOf({
    ':a:compileJava': [],
    ':a:test': [':a:compileJava'],
    ':a:check': [':a:test'],
    ':b:report': [':a:check']
  })
  const testClasses = new Map([[':a', [{ name: 'p.OneTest', weight: 3 }, { name: 'p.TwoTest', weight: 1 }, { name: 'p.ThreeTest', weight: 2 }]]])
  const plan = planUnits(graph, { requested: ['report'], shardTests: [{ module: ':a', shards: 2 }], testClasses })
  const shards = plan.units.filter(u => u.shard != null)
  t.deepEqual(plan.shardedTestTasks[0]?.classes.flat().sort(), ['p.OneTest', 'p.ThreeTest', 'p.TwoTest'])
  // :a:check is left to the final build; :b waits for what it stands for: both shards (which wait for :a).
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':b')), [':a:test [1/2]', ':a:test [2/2]'])
  for (const shard of shards) t.deepEqual(dependencyNames(plan, shard), [':a'])
  t.deepEqual(plan.finalBuildOnly, [':a:check'])
  // Running :b:report would run :a:test unfiltered through :a:check: the worker skips it.
  t.deepEqual(unitGradleArgs(unitNamed(plan, ':b')), [':b:report', '-x', ':a:test'])
  t.deepEqual(unitNamed(plan, ':a').exclude, [])
  t.throws(() => planUnits(graph, { requested: ['report'], shardTests: [{ module: ':a', shards: 2 }] }), { instanceOf: PlanError, message: /testClasses/ })
})

test('the final build keeps the classes a sharded test task needs, but not its other dependencies (a fixture that starts a database)', t => {
  const graph = graphOf({
    ':a:compileJava': [],
    ':a:classes': [':a:compileJava'],
    ':a:compileTestJava': [':a:classes'],
    ':a:testClasses': [':a:compileTestJava'],
    ':a:startTestDb': [],
    ':a:test': [':a:classes', ':a:testClasses', ':a:startTestDb'],
    ':a:build': [':a:test']
  })
  const testClasses = new Map([[':a', [{ name: 'p.OneTest', weight: 1 }, { name: 'p.TwoTest', weight: 1 }]]])
  const plan = planUnits(graph, { requested: ['build'], shardTests: [{ module: ':a', shards: 2 }], testClasses })
  t.deepEqual(plan.finalBuildKeeps, [':a:classes', ':a:testClasses'])
  t.deepEqual(finalBuildArgs(plan), ['build', ':a:classes', ':a:testClasses', '-x', ':a:test'])
})

test('the submitter merges the reports of every shard of a test task, and refuses while one is missing', async t => {
  const plan = await planBuild(await javaMultiGraph(), {
    rootDir: repoPath('examples', 'java-multi'), requested: ['build'], shardTests: [{ module: 'text', shards: 2 }]
  })
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-final-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  const classes = plan.shardedTestTasks[0]?.classes ?? []
  const reportsByUnit = new Map(plan.units.filter(u => u.shard != null).map((u, i) => [u.id, (classes[i] ?? []).map(name => ({
    name: `TEST-${name}.xml`, content: `<testsuite name="${name}" tests="2" failures="0" errors="0" skipped="0"></testsuite>`
  }))]))
  const [first] = reportsByUnit.keys()
  const partial = new Map([...reportsByUnit].filter(([id]) => id !== first))
  await t.throwsAsync(mergeShardReports(root, plan, partial), { instanceOf: PlanError, message: /no test reports from shard :text:test/ })
  const merged = await mergeShardReports(root, plan, reportsByUnit)
  t.is(merged.length, 1)
  t.like(merged[0], { task: ':text:test', tests: 4, failures: 0, files: ['TEST-example.text.ColumnsTest.xml', 'TEST-example.text.SlugTest.xml'] })
  t.is(merged[0]?.dir, path.join(root, 'text', 'build', 'test-results', 'test'))
})

test('separate tests: a module\'s test task and what follows it get their own unit, and other modules wait only for its classes', t => {
  const plan = planUnits(TWO_MODULES, { requested: ['build'], separateTests: true })
  t.deepEqual(plan.units.map(u => u.name).sort(), [':a', ':a:test', ':b'])
  const a = unitNamed(plan, ':a')
  const aTest = unitNamed(plan, ':a:test')
  t.deepEqual(a.tasks, [':a:compileJava', ':a:jar'])
  t.deepEqual(aTest.tasks, [':a:test', ':a:build'])
  t.deepEqual(aTest.run, [':a:build'])
  t.deepEqual(aTest.testFilters, [], 'the test task runs unfiltered, so the final build finds its cache entry')
  t.deepEqual(dependencyNames(plan, aTest), [':a'])
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':b')), [':a'], ':b does not wait for :a\'s tests')
  t.deepEqual(plan.finalBuildExcludes, [])
  t.deepEqual(finalBuildArgs(plan), ['build'])
})

test('separate tests on java-multi: one test unit per module beside its compile unit, a chain of compiles and tests in parallel', async t => {
  const plan = planUnits(await javaMultiGraph(), { requested: ['build'], separateTests: true })
  const modules = ['app', 'catalog', 'money', 'pricing', 'text']
  t.deepEqual(plan.units.map(u => u.name).sort(), modules.flatMap(m => [`:${m}`, `:${m}:test`]).sort())
  for (const m of modules) t.deepEqual(dependencyNames(plan, unitNamed(plan, `:${m}:test`)).filter(n => n.endsWith(':test')), [], `:${m}:test waits for no other tests`)
})
