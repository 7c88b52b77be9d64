import test from 'ava'
import type { ProbedTask, TaskGraph } from '../../src/gradle/task-graph.js'
import { finalBuildArgs, planUnits, type Unit, type UnitPlan } from '../../src/plan/units.js'

/** A graph from `path: deps` pairs, in the given (execution) order. */
function graphOf (tasks: Record<string, string[]>): TaskGraph {
  return {
    gradleVersion: '8.5',
    tasks: Object.entries(tasks).map(([path, dependencies]): ProbedTask => ({ path, type: 'org.gradle.api.DefaultTask', dependencies }))
  }
}

function unitNamed (plan: UnitPlan, name: string): Unit {
  const unit = plan.units.find(u => u.name === name)
  if (unit == null) throw new Error(`no unit ${name} in ${plan.units.map(u => u.name).join(', ')}`)
  return unit
}

function dependencyNames (plan: UnitPlan, unit: Unit): string[] {
  return unit.dependsOn.map(id => plan.units.find(u => u.id === id)?.name ?? id).sort()
}

/** `:testing` holds shared test helpers and compiles against `:money`; `:money`'s tests use `:testing` (Gradle 4.4's java plugin). */
const TEST_SUPPORT = {
  ':money:compileJava': [],
  ':money:processResources': [],
  ':money:classes': [':money:compileJava', ':money:processResources'],
  ':money:jar': [':money:classes'],
  ':money:assemble': [':money:jar'],
  ':testing:compileJava': [':money:jar'],
  ':testing:processResources': [],
  ':testing:classes': [':testing:compileJava', ':testing:processResources'],
  ':testing:jar': [':testing:classes'],
  ':testing:assemble': [':testing:jar'],
  ':testing:check': [],
  ':testing:build': [':testing:assemble', ':testing:check'],
  ':money:compileTestJava': [':money:classes', ':testing:jar'],
  ':money:processTestResources': [],
  ':money:testClasses': [':money:compileTestJava', ':money:processTestResources'],
  ':money:test': [':money:classes', ':money:testClasses'],
  ':money:check': [':money:test'],
  ':money:build': [':money:assemble', ':money:check']
}

test('separate tests with a test-support module: the test source set goes to the test unit, after the support module, without a cycle', t => {
  const plan = planUnits(graphOf(TEST_SUPPORT), { requested: ['build'], separateTests: true })
  t.deepEqual(plan.units.map(u => u.name), [':money', ':testing', ':money:test'])
  const money = unitNamed(plan, ':money')
  const moneyTest = unitNamed(plan, ':money:test')
  t.deepEqual(money.tasks, [':money:compileJava', ':money:processResources', ':money:classes', ':money:jar', ':money:assemble'])
  t.deepEqual(moneyTest.tasks, [':money:compileTestJava', ':money:processTestResources', ':money:testClasses', ':money:test', ':money:check', ':money:build'])
  t.deepEqual(moneyTest.run, [':money:build'])
  t.deepEqual(dependencyNames(plan, unitNamed(plan, ':testing')), [':money'])
  t.deepEqual(dependencyNames(plan, moneyTest), [':money', ':testing'])
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
