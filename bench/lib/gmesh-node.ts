import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from './net.js'
import { processes, runCommand, type TrackedProcess } from './processes.js'

/** The repository root, found from dist/bench/lib/ (compiled) location. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)))
/** The CLI under test; GMESH_BENCH_GMESH_BIN points the bench at another build of it. */
export const GMESH_BIN = process.env.GMESH_BENCH_GMESH_BIN ?? join(REPO_ROOT, 'bin', 'gmesh.js')

/** What `gmesh up` writes to DIR/node.json when it is ready (design.md, CLI contract). */
export interface NodeInfo {
  peerId: string
  multiaddrs: string[]
  httpUrl: string
  cacheUrl: string
  pid: number
}

export class NodeUnavailableError extends Error {
  override name = 'NodeUnavailableError'
}

let upHelpText: Promise<string> | undefined

/** `gmesh up --help`, read once: tells which options this build of the CLI has. */
export async function upHelp (): Promise<string> {
  upHelpText ??= runCommand('gmesh up --help', process.execPath, [GMESH_BIN, 'up', '--help'], { timeoutMs: 30_000 })
    .then((help) => {
      if (help.code !== 0 || !help.stdout.includes('--http')) {
        throw new NodeUnavailableError(`this build has no \`gmesh up --http\` yet (gmesh up --help exited ${help.code})`)
      }
      return help.stdout
    })
  return await upHelpText
}

/** Options of `gmesh up` this build knows, so the bench works while the CLI grows: loopback only, no mDNS. */
async function optionalUpFlags (): Promise<string[]> {
  const help = await upHelp()
  const flags: string[] = []
  if (help.includes('--no-mdns')) flags.push('--no-mdns')
  if (help.includes('--listen')) flags.push('--listen', '/ip4/127.0.0.1/tcp/0')
  return flags
}

/** One `gmesh up` in the foreground, with its own data directory; stopped by pid with SIGTERM. */
export class GmeshNode {
  private proc?: TrackedProcess
  private nodeInfo?: NodeInfo
  private stderr = ''
  private partialLine = ''
  /** The node's last warn/error log lines (pino JSON on stderr, level >= 40). */
  readonly problems: string[] = []

  constructor (private readonly dataDir: string, private readonly extraArgs: string[] = []) {}

  get info (): NodeInfo {
    if (this.nodeInfo == null) throw new NodeUnavailableError('node not started')
    return this.nodeInfo
  }

  get pid (): number | undefined { return this.proc?.pid }
  get label (): string { return 'gmesh node' }

  async start (): Promise<NodeInfo> {
    const flags = await optionalUpFlags()
    const args = [GMESH_BIN, 'up', '--data', this.dataDir, '--http', '127.0.0.1:0', ...flags, ...this.extraArgs]
    this.proc = processes.spawn('gmesh up', process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    this.proc.child.stderr?.on('data', (b: Buffer) => { this.onStderr(b.toString()) })
    const infoPath = join(this.dataDir, 'node.json')
    try {
      this.nodeInfo = await waitFor('gmesh up', async () => {
        const info = JSON.parse(await readFile(infoPath, 'utf8')) as NodeInfo
        // The data directory is fresh, so any node.json in it is this process's.
        return typeof info.cacheUrl === 'string' ? info : undefined
      }, { timeoutMs: 60_000, proc: this.proc })
    } catch (err) {
      throw new NodeUnavailableError(`${(err as Error).message}\n${this.stderr.trim()}`)
    }
    return this.nodeInfo
  }

  private onStderr (text: string): void {
    this.stderr = (this.stderr + text).slice(-4000)
    const lines = (this.partialLine + text).split('\n')
    this.partialLine = lines.pop() ?? ''
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line)
      if (level != null && Number(level[1]) >= 40) this.problems.push(line.slice(0, 1000))
    }
    this.problems.splice(0, Math.max(0, this.problems.length - 20))
  }

  /** `gmesh status --json`, parsed; undefined when the command is not there yet or fails. */
  async status (): Promise<unknown> {
    const res = await runCommand('gmesh status', process.execPath, [GMESH_BIN, 'status', '--data', this.dataDir, '--json'], { cwd: REPO_ROOT, timeoutMs: 30_000 })
    if (res.code !== 0) return undefined
    try { return JSON.parse(res.stdout) } catch { return undefined }
  }

  async stop (): Promise<void> {
    if (this.proc != null) await processes.stop(this.proc, 10_000)
    this.proc = undefined
  }
}
