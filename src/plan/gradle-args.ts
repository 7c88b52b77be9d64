/** The Gradle command lines of a plan: what a worker runs for a unit, and the final local build. */
import type { Unit, UnitPlan } from './units.js'

/**
 * Gradle arguments that run a unit: its tasks, `-x` for its exclusions, `--tests` after the test task. A
 * class filter also names the class's nested classes (`Outer$*`), which JUnit runs as classes of their own.
 */
export function unitGradleArgs (unit: Pick<Unit, 'run' | 'exclude' | 'testFilters'>): string[] {
  const args = [...unit.run]
  for (const filter of unit.testFilters) args.push('--tests', filter, '--tests', `${filter}$*`)
  for (const task of unit.exclude) args.push('-x', task)
  return args
}

/** A source set's lifecycle task (`classes`, `testClasses`, `integrationTestClasses`): compilation and resources. */
export function isClassesTask (taskPath: string): boolean {
  const name = taskPath.slice(taskPath.lastIndexOf(':') + 1)
  return name === 'classes' || name.endsWith('Classes')
}

/** Gradle arguments of the final local build: the requested tasks, skipping the sharded test tasks but not what they need. */
export function finalBuildArgs (plan: Pick<UnitPlan, 'requested' | 'finalBuildExcludes' | 'finalBuildKeeps'>): string[] {
  return [...plan.requested, ...plan.finalBuildKeeps, ...plan.finalBuildExcludes.flatMap(task => ['-x', task])]
}
