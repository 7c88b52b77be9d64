import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { GMESH_BIN, spawnNode, type NodeProcess } from '../../src/client/node-process.js'
import { killProcessesUnder } from '../../src/gradle/gradle-processes.js'

const GMESH = GMESH_BIN

export type { NodeProcess }

export interface StartNodeOptions {
  dataDir?: string
  args?: string[]
  env?: NodeJS.ProcessEnv
}

/** Starts `gmesh up --http 127.0.0.1:0` in a fresh (or the given) data dir. */
export async function startNode (options: StartNodeOptions = {}): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? await mkdtemp(path.join(tmpdir(), 'gmesh-node-'))
  return await spawnNode({ ...options, dataDir })
}

export interface GmeshResult { code: number | null, stdout: string, stderr: string }

/** Runs one gmesh command to completion. */
export async function runGmesh (args: string[], env: NodeJS.ProcessEnv = {}): Promise<GmeshResult> {
  const child = spawn(process.execPath, [GMESH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  // 'close', not 'exit': only then has all of stdout and stderr been read.
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

/** Kills the node, then the Gradle daemons its build units left in its data dir, then removes the dir. */
export async function removeDataDir (node: NodeProcess): Promise<void> {
  await node.kill()
  await killProcessesUnder(node.dataDir)
  await rm(node.dataDir, { recursive: true, force: true })
}
