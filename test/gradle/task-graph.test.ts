import test from 'ava'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  probeTaskGraph, parseTaskGraph, renderTaskGraphProbeScript, TaskGraphProbeError, UnknownTaskError, unselectableTaskMessage
} from '../../src/gradle/task-graph.js'
import { planUnits } from '../../src/plan/units.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'

test('the probe script picks the dependency API by what the graph interface has, then skips every task', t => {
  const script = renderTaskGraphProbeScript('/tmp/out dir/it\'s.json')
  t.true(script.includes("new File('/tmp/out dir/it\\'s.json')"))
  t.true(script.includes("TaskExecutionGraph.methods.any { it.name == 'getDependencies' }"))
  t.true(script.includes('task.taskDependencies.getDependencies(task).findAll { graph.hasTask(it) }'))
  t.true(script.includes('graph.allTasks.each { it.enabled = false }'))
  t.true(script.includes('hasOutputs: task.outputs.hasOutput'), 'whether each task declares outputs (Gradle 4.4 and 8)')
  t.true(script.indexOf('if (gradle.parent != null)') < script.indexOf('gradle.taskGraph.whenReady'), 'an included build returns before hooking its graph')
  t.true(script.includes('gradle.includedBuilds.collect { [name: it.name, dir: it.projectDir.path] }'), 'included builds\' directories (Gradle 4.4 and 8)')
  t.true(script.includes('gradle.rootProject.allprojects.collect { [name: it.path, dir: it.projectDir.path] }'), 'every project\'s directory')
})

test('probe output of an unexpected shape is refused', t => {
  t.throws(() => parseTaskGraph('{"gradleVersion":"8.5","tasks":[{"path":":a"}]}'), { instanceOf: TaskGraphProbeError })
  t.throws(() => parseTaskGraph('not json'), { instanceOf: TaskGraphProbeError, message: /invalid JSON/ })
  t.deepEqual(parseTaskGraph('{"gradleVersion":"4.4.1","tasks":[]}'), { gradleVersion: '4.4.1', tasks: [] })
  const task = { path: ':a:build', type: 'org.gradle.api.DefaultTask', dependencies: [], hasOutputs: false }
  t.deepEqual(parseTaskGraph(JSON.stringify({ gradleVersion: '4.4.1', tasks: [task] })).tasks, [task])
  t.throws(() => parseTaskGraph(JSON.stringify({ gradleVersion: '4.4.1', tasks: [{ ...task, hasOutputs: 'no' }] })), { instanceOf: TaskGraphProbeError })
})

test('real Gradle: the graph of `build` has every task with its direct dependencies, and nothing runs', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle build on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const graph = await probeTaskGraph({
    projectDir: project.projectDir, tasks: ['build'], gradleUserHome: project.gradleUserHome, noDaemon: true, env: project.gradleEnv
  })
  t.regex(graph.gradleVersion, /^\d+\.\d+/)
  const byPath = new Map(graph.tasks.map(task => [task.path, task]))
  for (const module of ['text', 'money', 'catalog', 'pricing', 'app']) {
    for (const name of ['compileJava', 'jar', 'compileTestJava', 'test', 'build']) t.true(byPath.has(`:${module}:${name}`), `:${module}:${name}`)
  }
  t.is(byPath.get(':app:compileJava')?.type, 'org.gradle.api.tasks.compile.JavaCompile')
  t.deepEqual(byPath.get(':pricing:compileJava')?.dependencies, [':catalog:jar', ':money:jar'])
  t.deepEqual(byPath.get(':app:build')?.dependencies, [':app:assemble', ':app:check'])
  // Execution order: every dependency comes before its dependent.
  const order = new Map(graph.tasks.map((task, i) => [task.path, i]))
  for (const task of graph.tasks) {
    for (const dep of task.dependencies) t.true((order.get(dep) ?? Infinity) < (order.get(task.path) ?? -1), `${dep} before ${task.path}`)
  }
  t.false(existsSync(path.join(project.projectDir, 'app', 'build')), 'no task was executed')
  for (const name of ['compileJava', 'jar', 'test']) t.is(byPath.get(`:app:${name}`)?.hasOutputs, true, name)
  for (const name of ['classes', 'assemble', 'check', 'build']) t.is(byPath.get(`:app:${name}`)?.hasOutputs, false, name)
  // planned: the lifecycle tasks are left to the final build, the units run the real work
  const plan = planUnits(graph, { requested: ['build'], separateTests: true })
  for (const module of ['text', 'money', 'catalog', 'pricing', 'app']) {
    t.deepEqual(plan.units.find(u => u.name === `:${module}`)?.run, [`:${module}:jar`])
    t.deepEqual(plan.units.find(u => u.name === `:${module}:test`)?.run, [`:${module}:test`])
  }
  t.true(plan.finalBuildOnly.includes(':app:build') && plan.finalBuildOnly.includes(':app:check'))
})

test('real Gradle: the probe leaves an included build alone, its tasks enabled, and records the graph of the build asked for', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle build on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  // an included build that says, once its graph is ready, whether its jar task is still enabled
  const tools = path.join(project.projectDir, 'tools')
  await mkdir(path.join(tools, 'src', 'main', 'java', 'example', 'tools'), { recursive: true })
  await writeFile(path.join(tools, 'src', 'main', 'java', 'example', 'tools', 'Tool.java'), 'package example.tools;\npublic class Tool {}\n')
  await writeFile(path.join(tools, 'settings.gradle'), "rootProject.name = 'tools'\n")
  await writeFile(path.join(tools, 'build.gradle'), [
    "apply plugin: 'java'", "group = 'example.tools'", "version = '1'",
    "gradle.taskGraph.whenReady { graph -> file('jar-enabled.txt').text = graph.allTasks.find { it.name == 'jar' }.enabled }", ''
  ].join('\n'))
  await appendFile(path.join(project.projectDir, 'settings.gradle'), "\nincludeBuild 'tools'\n")
  await appendFile(path.join(project.projectDir, 'build.gradle'), "\nproject(':app') { dependencies { implementation 'example.tools:tools:1' } }\n")
  const graph = await probeTaskGraph({ projectDir: project.projectDir, tasks: ['build'], gradleUserHome: project.gradleUserHome, noDaemon: true, env: project.gradleEnv })
  t.is(await readFile(path.join(tools, 'jar-enabled.txt'), 'utf8'), 'true')
  t.true(graph.tasks.some(task => task.path === ':app:build'))
  t.false(graph.tasks.some(task => task.path === ':jar'), 'no task of the included build')
  t.deepEqual(graph.includedBuilds, [{ name: 'tools', dir: tools }])
  t.deepEqual(graph.projects?.map(p => p.name).sort(), [':', ':app', ':catalog', ':money', ':pricing', ':text'])
  t.is(graph.projects?.find(p => p.name === ':money')?.dir, path.join(project.projectDir, 'money'))
})

test('real Gradle: a task it does not know is an UnknownTaskError with Gradle\'s message; a broken build script is a probe error of another kind', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'three real Gradle runs on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const probe = async (tasks: string[]): Promise<unknown> => await probeTaskGraph({ projectDir: project.projectDir, tasks, gradleUserHome: project.gradleUserHome, noDaemon: true, env: project.gradleEnv })
  const unknown = await t.throwsAsync(probe(['noSuchTask']), { instanceOf: UnknownTaskError })
  t.regex(unknown.message, /^Gradle cannot select noSuchTask: Task 'noSuchTask' not found in root project '[^']+'/)
  const inProject = await t.throwsAsync(probe([':money:noSuchTask']), { instanceOf: UnknownTaskError })
  t.regex(inProject.message, /[Tt]ask 'noSuchTask' not found in project ':money'/)
  await appendFile(path.join(project.projectDir, 'build.gradle'), '\nthis is not groovy (\n')
  const broken = await t.throwsAsync(probe(['build']), { instanceOf: TaskGraphProbeError })
  t.false(broken instanceof UnknownTaskError, broken.message)
  t.regex(broken.message, /^Gradle could not plan build \(exit code 1\)/)
})

test('what Gradle 4.4 and 8 say of a requested name they cannot select is told from other failures', t => {
  const failure = (line: string): string => `\nFAILURE: Build failed with an exception.\n\n* What went wrong:\n${line}\n\n* Try:\nRun gradle tasks\n`
  for (const line of [
    "Task 'nosuch' not found in root project 'yy'.",
    "Task 'clea' is ambiguous in project ':a'. Candidates are: 'cleanA', 'cleanB'.",
    "Project 'foo' not found in root project 'yy'.",
    "Task 'nosuch' not found in root project 'yy' and its subprojects.",
    "Cannot locate tasks that match ':a:nosuch' as task 'nosuch' not found in project ':a'.",
    "Cannot locate tasks that match 'foo:build' as project 'foo' not found in root project 'yy'."
  ]) t.is(unselectableTaskMessage(failure(line)), line)
  for (const line of [
    "A problem occurred evaluating root project 'yy'.",
    "Task with path ':nosuch' not found in root project 'yy'.",
    "Could not get unknown property 'x' for root project 'yy' of type org.gradle.api.Project."
  ]) t.is(unselectableTaskMessage(failure(line)), undefined, line)
  t.is(unselectableTaskMessage("Task 'x' not found in root project 'y'."), undefined, 'only as what went wrong')
})

test('real Gradle: from a subproject, the probe records the build\'s root and what Gradle selected for an abbreviation there', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'one real Gradle build on a shared 2-core machine')
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const graph = await probeTaskGraph({
    projectDir: path.join(project.projectDir, 'money'), tasks: ['cJ'], gradleUserHome: project.gradleUserHome, noDaemon: true, env: project.gradleEnv
  })
  t.is(graph.rootDir, project.projectDir)
  t.deepEqual(graph.requested, ['cJ'])
  t.deepEqual(graph.selected, [':money:compileJava'], 'cJ is compileJava, of money only')
  t.deepEqual(planUnits(graph, { requested: ['cJ'] }).units.map(u => u.run), [[':money:compileJava']])
})
