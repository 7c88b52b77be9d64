import type { ExecutionContext } from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
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

/** Runs one gmesh command to completion; stopped, with what it started, should the test end first (a throw, a timeout). */
export async function runGmesh (t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv = {}): Promise<GmeshResult> {
  const child = spawn(process.execPath, [GMESH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  stopAtTeardown(t, child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  // 'close', not 'exit': only then has all of stdout and stderr been read.
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

/** How long a gmesh that outlived its test gets to stop its Gradle (whose stop has a 10 s grace) before its group is killed. */
const STOP_BOUND_MS = 15_000

/**
 * When the test ends, stops `child` (a gmesh spawned `detached`: a process group of its own) if it still runs: a
 * SIGTERM first, on which gmesh stops the Gradle it started (which runs in a process group of its own, out of reach of
 * a kill of gmesh's), then, once it exited or after STOP_BOUND_MS, a SIGKILL of its process group, by its id.
 */
export function stopAtTeardown (t: ExecutionContext, child: ChildProcess): void {
  const exited = once(child, 'exit').catch(() => {}) // a child that failed to spawn emits 'error' instead, which the caller hears
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    const pid = child.pid
    child.kill('SIGTERM')
    const bound = AbortSignal.timeout(STOP_BOUND_MS)
    await Promise.race([exited, once(bound, 'abort')])
    try {
      process.kill(-pid, 'SIGKILL')
    } catch { /* the group is gone */ }
    await exited
  })
}

/** Kills the node, then the Gradle daemons its build units left in its data dir, then removes the dir. */
export async function removeDataDir (node: NodeProcess): Promise<void> {
  await node.kill()
  await killProcessesUnder(node.dataDir)
  await rm(node.dataDir, { recursive: true, force: true })
}
