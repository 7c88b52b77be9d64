import type { ExecutionContext } from 'ava'
import { parseBuildOutput, type BuildSummary } from '../../../src/gradle/build-output.js'
import { runGmesh, type NodeProcess } from '../../helpers/gmesh-node.js'
import type { TempGradleProject } from '../../helpers/gradle-project.js'

export interface MeshBuild { code: number | null, summary: BuildSummary, output: string }

/** `gmesh gradle --data <node> --project <dir> -- --no-daemon --gradle-user-home <home> build` of the copy as a real process, with its temp dir. */
export async function buildThroughNode (t: ExecutionContext, node: NodeProcess, copy: Pick<TempGradleProject, 'projectDir' | 'gradleUserHome' | 'gradleEnv'>): Promise<MeshBuild> {
  const result = await runGmesh(t, [
    'gradle', '--data', node.dataDir, '--project', copy.projectDir,
    '--', '--no-daemon', '--gradle-user-home', copy.gradleUserHome, 'build'
  ], copy.gradleEnv)
  const output = `${result.stdout}\n${result.stderr}`
  return { code: result.code, summary: parseBuildOutput(output), output }
}

/** Task paths of the build with the given outcome (EXECUTED, FROM-CACHE, ...), sorted. */
export function tasksWith (summary: BuildSummary, outcome: string): string[] {
  return summary.tasks.filter(task => task.outcome === outcome).map(task => task.path).sort()
}
