import { readFile } from 'node:fs/promises'
import { parseTaskGraph, type ProbedTask, type TaskGraph } from '../../src/gradle/task-graph.js'
import type { Unit, UnitPlan } from '../../src/plan/units.js'
import { repoPath } from '../helpers/repo-paths.js'

/** A graph from `path: deps` pairs, in the given (execution) order; `outputless` tasks declare no outputs. */
export function graphOf (tasks: Record<string, string[]>, outputless: readonly string[] = []): TaskGraph {
  return {
    gradleVersion: '8.5',
    tasks: Object.entries(tasks).map(([path, dependencies]): ProbedTask => ({
      path, type: 'org.gradle.api.DefaultTask', dependencies, ...(outputless.length === 0 ? {} : { hasOutputs: !outputless.includes(path) })
    }))
  }
}

/** A graph the probe (src/gradle/task-graph.ts) captured with Gradle 4.4.1, from test/plan/fixtures. */
export async function capturedGraph (fixture: string): Promise<TaskGraph> {
  return parseTaskGraph(await readFile(repoPath('test', 'plan', 'fixtures', fixture), 'utf8'))
}

export function unitNamed (plan: UnitPlan, name: string): Unit {
  const unit = plan.units.find(u => u.name === name)
  if (unit == null) throw new Error(`no unit ${name} in ${plan.units.map(u => u.name).join(', ')}`)
  return unit
}

/** The names of the units `unit` depends on, sorted. */
export function dependencyNames (plan: UnitPlan, unit: Unit): string[] {
  return unit.dependsOn.map(id => plan.units.find(u => u.id === id)?.name ?? id).sort()
}
