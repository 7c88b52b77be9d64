import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { readReadyFile, type NodeReadyInfo } from './node-client.js'

/** The gmesh executable of this installation (bin/gmesh.js), found from the compiled file's place. */
export const GMESH_BIN = fileURLToPath(new URL('../../../bin/gmesh.js', import.meta.url))

/** A `gmesh up` child process. */
export interface NodeProcess {
  dataDir: string
  info: NodeReadyInfo
  child: ChildProcess
  /** Everything the node wrote to stderr so far. */
  stderr: () => string
  /** SIGTERM, then the exit code once it has exited. */
  stop: () => Promise<number | null>
  /** SIGKILL by pid, resolved once it is gone. */
  kill: () => Promise<void>
}

export interface SpawnNodeOptions {
  dataDir: string
  /** Default `127.0.0.1:0`: any free port on loopback. */
  http?: string
  args?: string[]
  env?: NodeJS.ProcessEnv
  logLevel?: string
  /**
   * A command the node is started under, which must exec it in place (same pid), e.g.
   * `['ip', 'netns', 'exec', 'lan-a']` for a node on a test LAN of network namespaces.
   */
  launcher?: string[]
}

/** Local nodes (tests, the demo, benchmarks) keep their peer traffic on loopback and off the LAN. */
const LOOPBACK_MESH = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']

/** Starts `gmesh up` as a child process and resolves once it has written its ready file. */
export async function spawnNode (options: SpawnNodeOptions): Promise<NodeProcess> {
  const { dataDir } = options
  const [command, ...launch] = [...(options.launcher ?? []), process.execPath]
  const child = spawn(command!, [...launch, GMESH_BIN, 'up', '--data', dataDir, '--http', options.http ?? '127.0.0.1:0',
    '--log-level', options.logLevel ?? 'warn', ...(options.args?.includes('--listen') === true ? [] : LOOPBACK_MESH), ...(options.args ?? [])], {
    // A node started from here stops by itself if this process dies without stopping it.
    env: { ...process.env, GMESH_EXIT_WITH_PARENT: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  await Promise.race([
    waitForOutput(child, /ready/).catch((err: Error) => { throw new Error(`${err.message}:\n${stderr}`) }),
    exited.then(([code]) => { throw new Error(`gmesh up exited with ${code} before it was ready:\n${stderr}`) })
  ])
  child.stdout?.resume()
  const alive = (): boolean => child.exitCode == null && child.signalCode == null
  return {
    dataDir,
    info: await readReadyFile(dataDir),
    child,
    stderr: () => stderr,
    stop: async () => {
      if (alive()) child.kill('SIGTERM')
      const [code] = await exited
      return code
    },
    kill: async () => {
      if (alive() && child.pid != null) process.kill(child.pid, 'SIGKILL')
      await exited
    }
  }
}

async function waitForOutput (child: ChildProcess, pattern: RegExp): Promise<void> {
  let seen = ''
  for await (const chunk of child.stdout!) {
    seen += String(chunk)
    if (pattern.test(seen)) return
  }
  throw new Error(`gmesh up closed its output before saying ${String(pattern)}`)
}
