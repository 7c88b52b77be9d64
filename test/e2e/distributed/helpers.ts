import type { ExecutionContext } from 'ava'
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { JobReport } from '../../../src/client/api-types.js'
import type { TaskResult } from '../../../src/gradle/build-output.js'
import { killProcessesUnder } from '../../../src/gradle/gradle-processes.js'
import { UnitProcesses } from '../../../node/jobs/unit-processes.js'
import { silentLogger } from '../../../src/config/logger.js'
import { runGmesh, type NodeProcess } from '../../helpers/gmesh-node.js'
import type { TempGradleProject } from '../../helpers/gradle-project.js'
import { awaitPeers, bootstrapAddress, meshStatus, startMeshNode, swarmKeyArgs } from '../../node/mesh/helpers.js'

/** What `gmesh build --json` prints (the parts these tests read). */
export interface BuildJson {
  ok: boolean
  exitCode: number
  job: JobReport
  final?: { exitCode: number, tasks: TaskResult[] }
}

export interface BuildRun { code: number | null, json?: BuildJson, stdout: string, stderr: string }

/** The jobs part of a node's status. */
export interface JobsStatus { worker: { running: number, queued: number }, leading: Record<string, number> }

/** A submitter and two workers on loopback in a private mesh (one swarm key), all seeing each other; slots per node as given. */
export async function startFarm (t: ExecutionContext, slots: [number, number, number]): Promise<NodeProcess[]> {
  const key = await swarmKeyArgs(t)
  const args = (n: number): string[] => [...key, ...(n > 0 ? ['--accept-builds', '--slots', String(n)] : [])]
  const first = await startMeshNode(t, args(slots[0]))
  const seed = ['--bootstrap', bootstrapAddress(first)]
  const rest = await Promise.all([startMeshNode(t, [...seed, ...args(slots[1])]), startMeshNode(t, [...seed, ...args(slots[2])])])
  const nodes = [first, ...rest]
  const ids = nodes.map(n => n.info.peerId)
  for (const node of nodes) await awaitPeers(node, ids.filter(id => id !== node.info.peerId))
  return nodes
}

/** `gmesh build --json --no-daemon -- build` of the copy through `node`, as a real process, its own Gradle user home and temp dir. */
export async function gmeshBuild (t: ExecutionContext, node: NodeProcess, copy: Pick<TempGradleProject, 'projectDir' | 'gradleUserHome' | 'gradleEnv'>): Promise<BuildRun> {
  const result = await runGmesh(t, ['build', '--data', node.dataDir, '--project', copy.projectDir, '--json', '--no-daemon', '--', 'build'], { ...copy.gradleEnv, GRADLE_USER_HOME: copy.gradleUserHome })
  let json: BuildJson | undefined
  try {
    json = JSON.parse(result.stdout) as BuildJson
  } catch {}
  return { ...result, ...(json == null ? {} : { json }) }
}

export async function jobsStatus (node: NodeProcess): Promise<JobsStatus> {
  return (await meshStatus(node) as unknown as { jobs: JobsStatus }).jobs
}

/** Pid files of the Gradle processes of units running on `node` now. */
export function unitProcessFiles (node: NodeProcess): string[] {
  try {
    return readdirSync(path.join(node.dataDir, 'builds', 'pids'))
  } catch {
    return []
  }
}

/**
 * Kills Gradle processes a node killed with SIGKILL left behind: the process groups of its units'
 * Gradle clients, by the pids the node recorded in `<data>/builds/pids` (resolves to how many),
 * and the Gradle daemons working in its data dir.
 */
export async function killLeftoverUnits (node: NodeProcess): Promise<number> {
  // What a restarted node does with what its units left: process groups by recorded pid, if still in its workspaces.
  const builds = path.join(node.dataDir, 'builds')
  const killed = await new UnitProcesses(path.join(builds, 'pids'), path.join(builds, 'workspaces'), silentLogger()).killLeftovers()
  await killProcessesUnder(node.dataDir)
  return killed.length
}

/** SHA-256 of every compiled class under each module's build/classes, keyed by relative path. */
export async function classFiles (projectDir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>()
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) await walk(full)
      else if (entry.name.endsWith('.class')) hashes.set(path.relative(projectDir, full), createHash('sha256').update(await readFile(full)).digest('hex'))
    }
  }
  for (const module of await readdir(projectDir, { withFileTypes: true })) {
    if (module.isDirectory()) await walk(path.join(projectDir, module.name, 'build', 'classes'))
  }
  return hashes
}
