// The floor of what any Node.js server does on this machine: Node's own http module serving the same files as
// nginx (read per GET, no verification, no index) and writing PUTs as a durable server must (temp file,
// fdatasync, rename). Run as a script: `node plain-node-server.js ROOT PORT`; `start()` spawns it for a bench,
// with the libuv thread pool a gmesh node gets (bin/gmesh.js), so both overlap as many reads and fsyncs.
import { mkdirSync, readFile, renameSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uvThreadpoolSize } from '../../src/config/threadpool.js'
import { freePort, waitForHttp } from './net.js'
import { processes, type TrackedProcess } from './processes.js'

const KEY = /^[0-9a-f]{32,128}$/

function serveFile (root: string, key: string, res: ServerResponse): void {
  readFile(join(root, 'cache', key), (err, bytes) => {
    if (err != null) {
      res.writeHead(404, { 'Content-Length': 0 }).end()
      return
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength }).end(bytes)
  })
}

async function storeFile (root: string, key: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const temp = join(root, 'tmp', `${key}.${process.hrtime.bigint()}`)
  const file = await open(temp, 'wx')
  try {
    for await (const chunk of req) await file.write(chunk as Buffer)
    await file.datasync()
  } finally {
    await file.close()
  }
  renameSync(temp, join(root, 'cache', key))
  res.writeHead(201, { 'Content-Length': 0 }).end()
}

function serve (root: string, port: number): void {
  mkdirSync(join(root, 'tmp'), { recursive: true })
  createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
    const key = (req.url ?? '').slice('/cache/'.length)
    if (!(req.url ?? '').startsWith('/cache/') || !KEY.test(key)) res.writeHead(400, { 'Content-Length': 0 }).end()
    else if (req.method === 'PUT') storeFile(root, key, req, res).catch(() => { res.writeHead(500, { 'Content-Length': 0 }).end() })
    else serveFile(root, key, res)
  }).listen(port, '127.0.0.1')
}

/** The plain Node server as a child process of a benchmark, stopped by its pid. */
export class PlainNodeServer {
  readonly label = 'plain Node http'
  private proc?: TrackedProcess
  private port = 0

  constructor (private readonly root: string) {}

  get cacheUrl (): string { return `http://127.0.0.1:${this.port}/cache/` }
  get pid (): number | undefined { return this.proc?.pid }

  async start (): Promise<void> {
    this.port = await freePort()
    this.proc = processes.spawn(this.label, process.execPath, [fileURLToPath(import.meta.url), this.root, String(this.port)],
      { stdio: 'ignore', env: { ...process.env, UV_THREADPOOL_SIZE: uvThreadpoolSize(process.env) } })
    await waitForHttp(this.cacheUrl, { timeoutMs: 15_000, proc: this.proc })
  }

  async stop (): Promise<void> {
    if (this.proc != null) await processes.stop(this.proc)
    this.proc = undefined
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve(process.argv[2] ?? '.', Number(process.argv[3]))
