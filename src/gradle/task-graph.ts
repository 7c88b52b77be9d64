/**
 * The task graph of a build, asked from Gradle itself: an init script hooked on
 * `gradle.taskGraph.whenReady` writes every task of the graph and its direct dependencies to a
 * JSON file, then disables every task, so the build executes nothing (every task SKIPPED).
 * Not `--dry-run`: Gradle 4.4 never calls `whenReady` in a dry run. The script also records the root project's
 * directory and, where the graph tells them (`getRequestedTasks`: Gradle 4.4 has it, the script asks rather than assumes), the tasks Gradle selected for the
 * requested names: abbreviations and names relative to the project Gradle ran in resolved the way Gradle does.
 * Per task it records whether the task declares outputs (`outputs.hasOutput`, Gradle 4.4 and 8), and for a test
 * task where its JUnit XML and HTML reports go (`reports.junitXml`: `outputLocation` on Gradle 6.1+, `destination`
 * before). It records where every project of the build lies (`projectDir`, which settings may put anywhere) and
 * every included build's directory (`gradle.includedBuilds`, Gradle 3.1+ and 8, each with `projectDir`): the
 * planner refuses a build that reaches outside its root, which is all a worker gets (build-dirs.ts).
 *
 * `TaskExecutionGraph.getDependencies(Task)` exists only from Gradle 4.6; before that the script
 * asks each task's `taskDependencies` and keeps the dependencies that are in the graph. The
 * configuration cache is turned off for the probe (through system properties, which older Gradle
 * ignores), since the script reads the live graph. In an included build (`gradle.parent`, Gradle
 * 4.4 has it) the script does nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { z } from 'zod'
import { groovyString } from './init-script.js'
import { runGradle, type GradleRunOptions } from './runner.js'
import { REPORT_DIR_GROOVY } from './test-shard-script.js'

export interface ProbedTask {
  /** Task path, e.g. `:core:compileJava`. */
  path: string
  /** Implementation class, without Gradle's `_Decorated` suffix, e.g. `org.gradle.api.tasks.compile.JavaCompile`. */
  type: string
  /** Paths of the tasks in the graph this task directly depends on, sorted. */
  dependencies: string[]
  /** Whether the task declares outputs (`task.outputs.hasOutput`); absent from a graph made by hand or by an older probe. */
  hasOutputs?: boolean
  /** A test task's JUnit XML directory (`reports.junitXml`), absolute, where the build puts it; absent for other tasks. */
  junitXmlDir?: string
  /** A test task's HTML report directory (`reports.html`), absolute. */
  htmlReportDir?: string
}

export interface TaskGraph {
  gradleVersion: string
  /** In Gradle's execution order. */
  tasks: ProbedTask[]
  /** The tasks the graph was probed for, as given to Gradle (absent in a graph made by hand). */
  requested?: string[]
  /**
   * The tasks Gradle selected for `requested` (task paths, sorted): names resolved in the project Gradle ran in and
   * its subprojects, abbreviations (`cJ`) expanded. Absent when this Gradle's graph does not tell them.
   */
  selected?: string[]
  /** The root project's directory, where Gradle found the build's settings file. */
  rootDir?: string
  /** Every project of the build with its directory (absolute); absent from a graph made by hand or by an older probe. */
  projects?: ProbedDir[]
  /** The builds the settings include (`includeBuild`), by name with their directory (absolute). */
  includedBuilds?: ProbedDir[]
}

/** A project (by path, `:money`) or an included build (by name) and the directory Gradle gives it. */
export interface ProbedDir {
  name: string
  dir: string
}

export class TaskGraphProbeError extends Error {
  static readonly code = 'ERR_TASK_GRAPH_PROBE'
  override name = 'TaskGraphProbeError'
}

/**
 * Gradle refused the task names asked for: one it does not know, one that is ambiguous, or a project path in one
 * that names no project. The message is Gradle's own, from its "What went wrong" section.
 */
export class UnknownTaskError extends TaskGraphProbeError {
  override name = 'UnknownTaskError'
}

/**
 * Gradle's words for a requested name it cannot select, as the first line of "What went wrong": Gradle 4.4
 * `Task 'x' not found in root project 'y'.`, `Task 'c' is ambiguous in project ':a'. Candidates are: …`,
 * `Project 'foo' not found in root project 'y'.`; Gradle 8 the same (`… in root project 'y' and its subprojects.`),
 * or for a path `Cannot locate tasks that match ':a:x' as task 'x' not found in project ':a'.`. A build script failing
 * on a missing task (`tasks.getByPath`) says `Task with path …` and is not taken for one.
 */
const UNSELECTABLE_TASK = /^(?:Cannot locate tasks that match '[^']*' as )?(?:[Tt]ask|[Pp]roject) '[^']*' (?:not found|is ambiguous) in (?:root )?project '[^']*'/

/** Gradle's message when its output says it could not select a requested task (see {@link UNSELECTABLE_TASK}). */
export function unselectableTaskMessage (gradleOutput: string): string | undefined {
  const lines = gradleOutput.split(/\r?\n/)
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^\* What went wrong:\s*$/.test(lines[i]!)) continue
    const message = lines[i + 1]!.trim()
    if (UNSELECTABLE_TASK.test(message)) return message
  }
  return undefined
}

const TaskGraphSchema = z.object({
  gradleVersion: z.string(),
  tasks: z.array(z.object({
    path: z.string(),
    type: z.string(),
    dependencies: z.array(z.string()),
    hasOutputs: z.boolean().optional(),
    junitXmlDir: z.string().optional(),
    htmlReportDir: z.string().optional()
  })),
  requested: z.array(z.string()).optional(),
  selected: z.array(z.string()).optional(),
  rootDir: z.string().optional(),
  projects: z.array(z.object({ name: z.string(), dir: z.string() })).optional(),
  includedBuilds: z.array(z.object({ name: z.string(), dir: z.string() })).optional()
})

/** System properties that keep the configuration cache off on every Gradle that has one. */
export const NO_CONFIGURATION_CACHE_ARGS = [
  '-Dorg.gradle.configuration-cache=false',
  '-Dorg.gradle.unsafe.configuration-cache=false'
]

/** The probe init script, writing the graph as JSON to `outputFile`. */
export function renderTaskGraphProbeScript (outputFile: string): string {
  return [
    '// gmesh: task-graph probe: records the task graph, then skips every task',
    '// Only the build asked for: -I scripts run in included builds too, which must build as usual (a pluginManagement',
    '// includeBuild of convention plugins is built while the root build is configured), and whose graphs are not this one.',
    'if (gradle.parent != null) {',
    '    return',
    '}',
    `def gmeshProbeOutput = new File(${groovyString(outputFile)})`,
    'def gmeshGraphHasDependencies = TaskExecutionGraph.methods.any { it.name == \'getDependencies\' }',
    REPORT_DIR_GROOVY,
    'gradle.taskGraph.whenReady { graph ->',
    '    def tasks = graph.allTasks.collect { task ->',
    '        def deps = gmeshGraphHasDependencies',
    '            ? graph.getDependencies(task)',
    '            : task.taskDependencies.getDependencies(task).findAll { graph.hasTask(it) }',
    '        def entry = [',
    '            path: task.path,',
    '            type: task.getClass().name.replaceAll(/_Decorated$/, \'\'),',
    '            dependencies: deps.collect { it.path }.sort(),',
    '            hasOutputs: task.outputs.hasOutput',
    '        ]',
    '        if (task instanceof org.gradle.api.tasks.testing.Test) {',
    '            def junitXml = gmeshReportDir(task.reports.junitXml)',
    '            if (junitXml != null) entry.junitXmlDir = junitXml',
    '            def html = gmeshReportDir(task.reports.html)',
    '            if (html != null) entry.htmlReportDir = html',
    '        }',
    '        entry',
    '    }',
    '    def probed = [gradleVersion: gradle.gradleVersion, tasks: tasks, rootDir: gradle.rootProject.projectDir.path]',
    '    probed.projects = gradle.rootProject.allprojects.collect { [name: it.path, dir: it.projectDir.path] }',
    '    probed.includedBuilds = gradle.includedBuilds.collect { [name: it.name, dir: it.projectDir.path] }',
    '    if (graph.respondsTo(\'getRequestedTasks\')) probed.selected = graph.requestedTasks.collect { it.path }.sort()',
    '    gmeshProbeOutput.text = groovy.json.JsonOutput.toJson(probed)',
    '    graph.allTasks.each { it.enabled = false }',
    '}',
    ''
  ].join('\n')
}

export type ProbeOptions = Pick<GradleRunOptions, 'projectDir' | 'gradleUserHome' | 'noDaemon' | 'env' | 'signal' | 'gradleExecutable' | 'onSpawn'> & {
  /** The tasks whose graph is wanted, e.g. `['build']`. */
  tasks: string[]
}

/** Asks Gradle which tasks `options.tasks` would run, and what each depends on. */
export async function probeTaskGraph (options: ProbeOptions): Promise<TaskGraph> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-probe-'))
  try {
    const outputFile = path.join(dir, 'task-graph.json')
    let stderr = ''
    const result = await runGradle({
      ...options,
      args: [...options.tasks, ...NO_CONFIGURATION_CACHE_ARGS],
      initScript: renderTaskGraphProbeScript(outputFile),
      buildCache: false,
      stdout: null,
      stderr: new Writable({ write (chunk, _encoding, done) { stderr = (stderr + String(chunk)).slice(-4000); done() } })
    })
    if (result.exitCode !== 0) {
      const unselectable = unselectableTaskMessage(stderr)
      if (unselectable !== undefined) {
        throw new UnknownTaskError(`Gradle cannot select ${options.tasks.join(' ')}: ${unselectable} (\`gmesh gradle -- tasks --all\` lists the build's tasks)`)
      }
      throw new TaskGraphProbeError(`Gradle could not plan ${options.tasks.join(' ')} (exit code ${result.exitCode}):\n${stderr.trim()}`)
    }
    const json = await readFile(outputFile, 'utf8').catch(() => {
      throw new TaskGraphProbeError(`Gradle planned ${options.tasks.join(' ')} but the probe wrote no task graph`)
    })
    return { ...parseTaskGraph(json), requested: [...options.tasks] }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Validates the JSON the probe script wrote. */
export function parseTaskGraph (json: string): TaskGraph {
  let data: unknown
  try {
    data = JSON.parse(json)
  } catch (err) {
    throw new TaskGraphProbeError(`the task-graph probe wrote invalid JSON: ${(err as Error).message}`)
  }
  const parsed = TaskGraphSchema.safeParse(data)
  if (!parsed.success) throw new TaskGraphProbeError(`the task-graph probe wrote an unexpected shape: ${parsed.error.message}`)
  return parsed.data
}
