/**
 * A stand-in for a node's control API in a process of its own (so a test can SIGSTOP it), for `gmesh build`:
 * it takes one job, `job-1`, which runs until cancelled (`running`) or is done at once (`done`), and prints
 * `submitted job-1`, `report job-1` and `cancel job-1` on stdout as it is asked. In `snapshotting` it never answers
 * the submission (a snapshot that takes long), prints `submitting ID` with the client's job id, and answers a cancel
 * of that id as a submission stopped before its job started (`cancel-submission ID`). Run: node fake-build-node.js DIR MODE.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export type FakeJobMode = 'running' | 'done' | 'snapshotting'

const JOB_ID = 'job-1'

function report (state: string): unknown {
  const done = state === 'done'
  return {
    id: JOB_ID, state, startedAt: new Date(0).toISOString(), elapsedMs: 10, requested: ['compileJava'],
    snapshot: { id: 'ab'.repeat(32), files: 2, bytes: 20, newBlobs: 2, ms: 1 }, terms: [], lostPeers: [],
    units: [{
      id: 'u1', name: ':compileJava', dependsOn: [],
      ...(done ? { result: { worker: 'self', outcome: 'success', durationMs: 1, setupMs: 1, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 } } } : {})
    }]
  }
}

async function serve (dataDir: string, mode: FakeJobMode): Promise<void> {
  let state = 'none'
  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
  }
  let submitting: string | undefined
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', chunk => { body += String(chunk) })
    req.on('end', () => {
      const url = req.url ?? ''
      if (req.method === 'POST' && url === '/api/v1/jobs' && mode === 'snapshotting') {
        submitting = (JSON.parse(body) as { jobId: string }).jobId
        process.stdout.write(`submitting ${submitting}\n`)
      } else if (req.method === 'POST' && submitting !== undefined && url === `/api/v1/jobs/${submitting}/cancel`) {
        process.stdout.write(`cancel-submission ${submitting}\n`)
        answer(res, 200, { cancelled: submitting, started: false })
      } else if (req.method === 'POST' && url === '/api/v1/jobs') {
        state = mode
        process.stdout.write(`submitted ${JOB_ID}\n`)
        answer(res, 200, { jobId: JOB_ID })
      } else if (url === `/api/v1/jobs/${JOB_ID}/report` && state !== 'none') {
        process.stdout.write(`report ${JOB_ID}\n`)
        answer(res, 200, report(state))
      } else if (req.method === 'POST' && url === `/api/v1/jobs/${JOB_ID}/cancel` && state === 'running') {
        state = 'cancelled'
        process.stdout.write(`cancel ${JOB_ID}\n`)
        answer(res, 200, { cancelled: JOB_ID, started: true })
      } else {
        answer(res, 404, { error: `no such thing: ${req.method ?? ''} ${url}` })
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await writeFile(path.join(dataDir, 'token'), 'f'.repeat(64))
  await writeFile(path.join(dataDir, 'node.json'), JSON.stringify({ peerId: 'self', multiaddrs: [], httpUrl, cacheUrl: `${httpUrl}/cache/`, pid: process.pid }))
  process.stdout.write('ready\n')
}

/** The fake node, running; `lines` are what it printed. */
export interface FakeBuildNode {
  child: ChildProcess
  pid: number
  lines: string[]
  until: (line: string) => Promise<void>
  /** The first line that starts with `prefix`, once printed. */
  untilPrefix: (prefix: string) => Promise<string>
}

/** Starts the fake node for `dataDir` and resolves once its ready file is written. */
export async function startFakeBuildNode (dataDir: string, mode: FakeJobMode): Promise<FakeBuildNode> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dataDir, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  const waiting: Array<{ matches: (line: string) => boolean, resolve: (line: string) => void }> = []
  createInterface({ input: child.stdout! }).on('line', line => {
    lines.push(line)
    for (const w of waiting.filter(w => w.matches(line))) w.resolve(line)
  })
  const first = async (matches: (line: string) => boolean): Promise<string> => {
    const seen = lines.find(matches)
    if (seen !== undefined) return seen
    return await new Promise<string>(resolve => { waiting.push({ matches, resolve }) })
  }
  const until = async (line: string): Promise<void> => { await first(l => l === line) }
  await until('ready')
  return { child, pid: child.pid!, lines, until, untilPrefix: async prefix => await first(l => l.startsWith(prefix)) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2]!, process.argv[3] as FakeJobMode)
