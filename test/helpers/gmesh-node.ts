import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { repoPath } from './repo-paths.js'

const GMESH = repoPath('bin', 'gmesh.js')

export interface ReadyInfo { peerId: string, httpUrl: string, cacheUrl: string, pid: number, multiaddrs: string[] }

/** A `gmesh up` child process on loopback with its own data dir. */
export interface NodeProcess {
  dataDir: string
  info: ReadyInfo
  child: ChildProcess
  /** Everything the node wrote to stderr so far. */
  stderr: () => string
  /** SIGTERM, then the exit code once it has exited. */
  stop: () => Promise<number | null>
  /** SIGKILL by pid, resolved once it is gone. */
  kill: () => Promise<void>
}

export interface StartNodeOptions {
  dataDir?: string
  args?: string[]
  env?: NodeJS.ProcessEnv
}

/** Starts `gmesh up --http 127.0.0.1:0` and resolves when it has said it is ready. */
export async function startNode (options: StartNodeOptions = {}): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? await mkdtemp(path.join(tmpdir(), 'gmesh-node-'))
  const child = spawn(process.execPath, [GMESH, 'up', '--data', dataDir, '--http', '127.0.0.1:0', '--log-level', 'warn', ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  await Promise.race([
    waitForLine(child, /ready/),
    exited.then(([code]) => { throw new Error(`gmesh up exited with ${code} before it was ready:\n${stderr}`) })
  ])
  const info = JSON.parse(await readFile(path.join(dataDir, 'node.json'), 'utf8')) as ReadyInfo
  return {
    dataDir,
    info,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGTERM')
      const [code] = await exited
      return code
    },
    kill: async () => {
      if (child.exitCode == null && child.signalCode == null) process.kill(child.pid!, 'SIGKILL')
      await exited
    }
  }
}

async function waitForLine (child: ChildProcess, pattern: RegExp): Promise<void> {
  let seen = ''
  for await (const chunk of child.stdout!) {
    seen += String(chunk)
    if (pattern.test(seen)) return
  }
  throw new Error(`stdout closed before a line matching ${String(pattern)}`)
}

export interface GmeshResult { code: number | null, stdout: string, stderr: string }

/** Runs one gmesh command to completion. */
export async function runGmesh (args: string[], env: NodeJS.ProcessEnv = {}): Promise<GmeshResult> {
  const child = spawn(process.execPath, [GMESH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += String(chunk) })
  child.stderr.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

/** Removes a node's data dir once it has stopped. */
export async function removeDataDir (node: NodeProcess): Promise<void> {
  await node.kill()
  await rm(node.dataDir, { recursive: true, force: true })
}
