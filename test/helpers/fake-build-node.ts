/**
 * A stand-in for a node's control API in a process of its own (so a test can SIGSTOP it), for `gmesh build`:
 * it takes one job, `job-1`, which runs until cancelled (`running`) or is done at once (`done`), and prints
 * `submitted job-1`, `report job-1` and `cancel job-1` on stdout as it is asked. In `snapshotting` it never answers
 * the submission (a snapshot that takes long), prints `submitting ID` with the client's job id, and answers a cancel
 * of that id as a submission stopped before its job started (`cancel-submission ID`). In `progress` the job has three
 * units (u1 `:a`, u2 `:b`, u3 `:c`), the node serves its event stream (printing `stream after=ID` on each connection)
 * and the test moves the job on with FakeCommands on its stdin. Run: node fake-build-node.js DIR MODE.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { FakeEventStream } from './fake-event-stream.js'

export type FakeJobMode = 'running' | 'done' | 'snapshotting' | 'progress'

/** What a test tells the node in `progress` mode: an event to stream, a unit's result, a term, a dropped stream, the job's end. */
export type FakeCommand =
  | { event: Record<string, unknown> }
  | { result: { unitId: string, worker: string, outcome: string, ms: number } }
  | { term: { term: number, leader: string } }
  | { lost: string }
  | { drop: 'reconnect' | 'replay-all' }
  | { state: 'done' | 'failed' }

const JOB_ID = 'job-1'

interface FakeJob { state: string, units: Array<{ id: string, name: string, result?: unknown }>, terms: unknown[], lostPeers: string[] }

function newJob (mode: FakeJobMode): FakeJob {
  const units = mode === 'progress' ? [{ id: 'u1', name: ':a' }, { id: 'u2', name: ':b' }, { id: 'u3', name: ':c' }] : [{ id: 'u1', name: ':compileJava' }]
  return { state: 'none', units, terms: [], lostPeers: [] }
}

const unitResult = (worker: string, outcome: string, ms: number): unknown =>
  ({ worker, outcome, durationMs: ms - 1, setupMs: 1, fetchedBytes: 0, tasks: { executed: 1, fromCache: 0, upToDate: 0 } })

function report (job: FakeJob): unknown {
  const done = job.state === 'done'
  return {
    id: JOB_ID, state: job.state, startedAt: new Date(0).toISOString(), elapsedMs: 10, requested: ['compileJava'],
    snapshot: { id: 'ab'.repeat(32), files: 2, bytes: 20, newBlobs: 2, ms: 1 }, terms: job.terms, lostPeers: job.lostPeers,
    units: job.units.map(u => ({ ...u, dependsOn: [], ...(u.result == null && done ? { result: unitResult('self', 'success', 2) } : {}) }))
  }
}

/** Carries out one FakeCommand on the job and its event stream. */
function obey (command: FakeCommand, job: FakeJob, stream: FakeEventStream): void {
  if ('event' in command) stream.emit(command.event)
  else if ('result' in command) {
    const { unitId, worker, outcome, ms } = command.result
    const unit = job.units.find(u => u.id === unitId)
    if (unit != null) unit.result = unitResult(worker, outcome, ms)
  } else if ('term' in command) job.terms.push({ ...command.term, atMs: 1 })
  else if ('lost' in command) job.lostPeers.push(command.lost)
  else if ('drop' in command) stream.drop(command.drop === 'replay-all')
  else job.state = command.state
}

async function serve (dataDir: string, mode: FakeJobMode): Promise<void> {
  const job = newJob(mode)
  const stream = new FakeEventStream()
  createInterface({ input: process.stdin }).on('line', line => { obey(JSON.parse(line) as FakeCommand, job, stream) })
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
      } else if (url === '/api/v1/events/stream' && mode === 'progress') {
        stream.serve(req, res, after => { process.stdout.write(`stream after=${after}\n`) })
      } else if (req.method === 'POST' && url === '/api/v1/jobs') {
        job.state = mode === 'progress' ? 'running' : mode
        process.stdout.write(`submitted ${JOB_ID}\n`)
        answer(res, 200, { jobId: JOB_ID })
      } else if (url === `/api/v1/jobs/${JOB_ID}/report` && job.state !== 'none') {
        process.stdout.write(`report ${JOB_ID}\n`)
        answer(res, 200, report(job))
      } else if (req.method === 'POST' && url === `/api/v1/jobs/${JOB_ID}/cancel` && job.state === 'running') {
        job.state = 'cancelled'
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
  /** Once `line` has been printed `n` times. */
  untilNth: (line: string, n: number) => Promise<void>
  /** Tells the node (in `progress` mode) to move the job on. */
  send: (command: FakeCommand) => void
}

/** Starts the fake node for `dataDir` and resolves once its ready file is written. */
export async function startFakeBuildNode (dataDir: string, mode: FakeJobMode): Promise<FakeBuildNode> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dataDir, mode], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines: string[] = []
  const counts = new Map<string, number>()
  const waiting: Array<{ matches: (line: string) => boolean, resolve: (line: string) => void }> = []
  createInterface({ input: child.stdout! }).on('line', line => {
    lines.push(line)
    counts.set(line, (counts.get(line) ?? 0) + 1)
    for (const w of waiting.filter(w => w.matches(line))) w.resolve(line)
  })
  const first = async (matches: (line: string) => boolean): Promise<string> => {
    const seen = lines.find(matches)
    if (seen !== undefined) return seen
    return await new Promise<string>(resolve => { waiting.push({ matches, resolve }) })
  }
  const until = async (line: string): Promise<void> => { await first(l => l === line) }
  await until('ready')
  const send = (command: FakeCommand): void => { child.stdin!.write(`${JSON.stringify(command)}\n`) }
  const untilNth = async (line: string, n: number): Promise<void> => { await first(l => l === line && (counts.get(line) ?? 0) >= n) }
  return { child, pid: child.pid!, lines, until, untilPrefix: async prefix => await first(l => l.startsWith(prefix)), untilNth, send }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2]!, process.argv[3] as FakeJobMode)
