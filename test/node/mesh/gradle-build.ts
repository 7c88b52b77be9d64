import type { ExecutionContext } from 'ava'
import { parseBuildOutput, type BuildSummary } from '../../../src/gradle/build-output.js'
import { runGmesh, type NodeProcess } from '../../helpers/gmesh-node.js'

export interface MeshBuild { code: number | null, summary: BuildSummary, output: string }

/** `gmesh gradle --data <node> --project <dir> -- --no-daemon --gradle-user-home <home> build` as a real process. */
export async function buildThroughNode (t: ExecutionContext, node: NodeProcess, projectDir: string, gradleUserHome: string): Promise<MeshBuild> {
  const result = await runGmesh(t, [
    'gradle', '--data', node.dataDir, '--project', projectDir,
    '--', '--no-daemon', '--gradle-user-home', gradleUserHome, 'build'
  ])
  const output = `${result.stdout}\n${result.stderr}`
  return { code: result.code, summary: parseBuildOutput(output), output }
}

/** Task paths of the build with the given outcome (EXECUTED, FROM-CACHE, ...), sorted. */
export function tasksWith (summary: BuildSummary, outcome: string): string[] {
  return summary.tasks.filter(task => task.outcome === outcome).map(task => task.path).sort()
}
