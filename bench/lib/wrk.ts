import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GetLoad, LoadGenerator, LoadResult, LoadSpec, PutLoad } from './load.js'
import { runCommand } from './processes.js'

export const WRK_INSTALL_HINT = 'apt-get install wrk'

export function findWrk (): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '')
  return [...dirs, '/usr/bin', '/usr/local/bin'].map((d) => join(d, 'wrk')).find((p) => existsSync(p))
}

export async function wrkVersion (): Promise<string | undefined> {
  const bin = findWrk()
  if (bin == null) return undefined
  const res = await runCommand('wrk -v', bin, ['-v'], { timeoutMs: 10_000 })
  return /wrk \S+/.exec(res.stdout + res.stderr)?.[0]
}

export class WrkError extends Error {
  override name = 'WrkError'
}

/** Lua `done` hook: one JSON line the harness parses (wrk's own report is for humans). */
const DONE_HOOK = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`

function getScript (spec: GetLoad, path: string): string {
  const paths = spec.keys.map((k) => `"${path}${k}"`).join(',\n')
  return `local paths = {\n${paths}\n}
local reqs = {}
local i = 0
init = function(args)
  for k, p in ipairs(paths) do reqs[k] = wrk.format("GET", p) end
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
${DONE_HOOK}`
}

/**
 * PUTs of fresh keys. wrk bounds them by time only: a Lua thread:stop() would end a thread early
 * while wrk still divides by the full duration, so the count bound is left to the caller's duration.
 */
function putScript (spec: PutLoad, path: string): string {
  return `local prefix = "${path}${spec.keyPrefix}"
local filler
local tid = 0
local n = 0
local next_tid = 0
setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
init = function(args)
  math.randomseed(7 + tid)
  local parts = {}
  for k = 1, ${spec.bodySize - 16} do parts[k] = string.char(math.random(97, 122)) end
  filler = table.concat(parts)
end
request = function()
  n = n + 1
  local body = string.format("%08x%08x", tid, n) .. filler
  return wrk.format("PUT", prefix .. string.format("%08x%032x", tid, n), nil, body)
end
${DONE_HOOK}`
}

export function parseWrkOutput (stdout: string, spec: LoadSpec): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '))
  if (line == null) throw new WrkError(`wrk printed no result:\n${stdout.slice(-2000)}`)
  const r = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>
  const socketErrors = r.connect + r.read + r.write + r.timeout
  const ok = Math.max(0, r.requests - r.status)
  const bytes = spec.kind === 'put' ? ok * spec.bodySize : r.bytes
  return { generator: 'wrk', ok, errors: r.status + socketErrors, seconds: r.duration_us / 1e6, bytes, p50Ms: r.p50_us / 1000, p99Ms: r.p99_us / 1000 }
}

/** wrk (C, event loop per thread) with a generated Lua script. */
export class WrkGenerator implements LoadGenerator {
  readonly name: string
  constructor (private readonly bin: string, private readonly threads = 1) {
    this.name = `wrk, ${threads} thread${threads > 1 ? 's' : ''}`
  }

  async run (spec: LoadSpec): Promise<LoadResult> {
    const url = new URL(spec.cacheUrl)
    const dir = await mkdtemp(join(tmpdir(), 'gmesh-wrk-'))
    try {
      const script = join(dir, 'load.lua')
      await writeFile(script, spec.kind === 'get' ? getScript(spec, url.pathname) : putScript(spec, url.pathname))
      const seconds = Math.max(1, Math.round(spec.durationMs / 1000))
      const args = ['-t', String(this.threads), '-c', String(spec.connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, url.origin]
      const res = await runCommand('wrk', this.bin, args, { timeoutMs: (seconds + 60) * 1000 })
      if (res.code !== 0) throw new WrkError(`wrk exited ${res.code}: ${res.stderr.slice(-1000)}`)
      return parseWrkOutput(res.stdout, spec)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}
