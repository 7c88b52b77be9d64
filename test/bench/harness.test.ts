import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { GRADLE_KEY_PATTERN } from '../../src/cas/types.js'
import { cacheTable, chargeUnstored, unstoredPuts, type Measured } from '../../bench/lib/cache-report.js'
import { daemonPids } from '../../bench/lib/gradle-daemon.js'
import { bootstrapAddress } from '../../bench/lib/mesh-cache.js'
import { median, percentile, putBodyStamp, putKey, tail, type LoadResult } from '../../bench/lib/load.js'
import { BenchUsageError, MODULES, parseBenchArgs, usage, USAGE } from '../../bench/lib/options.js'
import { renderTable } from '../../bench/lib/table.js'
import { ProcessRegistry } from '../../bench/lib/processes.js'
import { parseWrkOutput } from '../../bench/lib/wrk.js'

test('bench arguments: flags, --only NAME and --only=NAME; unknown ones are usage errors', (t) => {
  t.deepEqual(parseBenchArgs(['--quick', '--only', 'cache-http']), { quick: true, only: 'cache-http', nodeLoad: false, keep: false, nginxAuto: false })
  t.is(parseBenchArgs(['--only=sim']).only, 'sim')
  t.true(parseBenchArgs(['--node-load', '--keep', '--nginx-auto']).nodeLoad)
  t.throws(() => parseBenchArgs(['--only']), { instanceOf: BenchUsageError })
  t.throws(() => parseBenchArgs(['--fast']), { instanceOf: BenchUsageError, message: /--fast/ })
})

test('PUT keys are valid Gradle keys, distinct per thread and request; body stamps too', (t) => {
  const prefix = 'ab'.repeat(12)
  const keys = new Set<string>()
  const stamps = new Set<string>()
  for (const thread of [0, 1]) {
    for (let n = 0; n < 50; n++) {
      const key = putKey(prefix, thread, n)
      t.regex(key, GRADLE_KEY_PATTERN)
      t.is(key.length, 64)
      keys.add(key)
      stamps.add(putBodyStamp(thread, n))
    }
  }
  t.is(keys.size, 100)
  t.is(stamps.size, 100)
  t.throws(() => putKey('XYZ', 0, 0), { instanceOf: RangeError })
})

test('percentile is nearest-rank; median averages the middle pair of an even count', (t) => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
  t.is(percentile(sorted, 50), 50)
  t.is(percentile(sorted, 99), 99)
  t.is(percentile([], 99), 0)
  t.is(median([3, 1, 2]), 2)
  t.is(median([4, 1, 3, 2]), 2.5)
})

test('wrk result line: ok excludes non-2xx, errors add socket errors, PUT bytes are request bodies', (t) => {
  const out = 'Running 1s test\n...\nWRK_JSON {"requests":1000,"duration_us":2000000,"bytes":9999,"connect":0,"read":1,"write":0,"status":4,"timeout":2,"p50_us":250,"p99_us":1800}\n'
  const get = parseWrkOutput(out, { kind: 'get', cacheUrl: 'http://127.0.0.1:1/cache/', keys: ['a'], connections: 1, durationMs: 1000, maxRequests: 10 })
  t.like(get, { generator: 'wrk', ok: 996, errors: 7, seconds: 2, bytes: 9999, p50Ms: 0.25, p99Ms: 1.8 })
  const putSpec = { kind: 'put', cacheUrl: 'http://127.0.0.1:1/cache/', keyPrefix: '0'.repeat(24), bodySize: 100, connections: 1, durationMs: 1000, maxRequests: 10 } as const
  t.is(parseWrkOutput(out, putSpec).bytes, 99_600)
  t.throws(() => parseWrkOutput('wrk: connection refused', putSpec), { message: /no result/ })
})

test('tables align columns and judge goals; absolute goals are judged without a reference', (t) => {
  const text = renderTable('T', 'node', 'nginx', [
    { measure: 'a', figure: '10/s', reference: '20/s', ratio: 0.5, goal: '>= 0.5x', met: true },
    { measure: 'longer measure', figure: '1', reference: 'skipped', goal: '< 2 ms' }
  ])
  const lines = text.split('\n').filter((l) => l.startsWith('a ') || l.startsWith('longer'))
  t.regex(lines[0], /0\.50x\s+>= 0\.5x\s+yes$/)
  t.regex(lines[1], /skipped\s+-\s+< 2 ms\s+n\/a$/)
  const result = (ok: number, p99Ms: number): Measured => ({ result: { generator: 'x', ok, errors: 0, seconds: 1, bytes: ok * 5120, p50Ms: 0.1, p99Ms } as LoadResult })
  const table = cacheTable(
    { small: { size: 5120, connections: 16 }, large: { size: 10 * 1024 * 1024, connections: 4 }, put: { size: 5120, connections: 16 } },
    { small: result(30_000, 1.5), put: result(6000, 3) }, undefined, 'nginx (skipped)')
  t.regex(table, /p99 latency\s+1\.50 ms\s+skipped\s+-\s+< 2 ms\s+yes/)
  t.regex(table, /PUTs\s+6,000\/s\s+skipped\s+-\s+>= 5,000\/s\s+yes/)
  t.regex(table, /requests\s+30,000\/s\s+skipped\s+-\s+>= 0\.5x\s+n\/a/)
})

test('Gradle daemon pids come from the log names of the private user home', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'gmesh-bench-test-'))
  try {
    t.deepEqual(await daemonPids(home), [])
    await mkdir(join(home, 'daemon', '4.4.1'), { recursive: true })
    await writeFile(join(home, 'daemon', '4.4.1', 'daemon-123.out.log'), '')
    await writeFile(join(home, 'daemon', '4.4.1', 'registry.bin'), '')
    t.deepEqual(await daemonPids(home), [123])
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})

test('the mesh peer bootstraps to the provider\'s loopback address, with its peer id', (t) => {
  const info = { peerId: '12D3KooWA', httpUrl: '', cacheUrl: '', pid: 1 }
  t.is(bootstrapAddress({ ...info, multiaddrs: ['/ip4/10.0.0.2/tcp/4001', '/ip4/127.0.0.1/tcp/4001'] }), '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWA')
  t.is(bootstrapAddress({ ...info, multiaddrs: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWA'] }), '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWA')
  t.is(bootstrapAddress({ ...info, multiaddrs: [] }), undefined)
})

test('the --only help lists every benchmark module, on lines no wider than the rest of the help', (t) => {
  for (const name of MODULES) t.regex(USAGE, new RegExp(`[ ,]${name}(,|\\n|$)`))
  t.true(USAGE.split('\n').every((line) => line.length <= 100))
  t.regex(usage(['a', 'b']), /run one module: a, b\n/)
})

test('a tail percentile over too few samples to differ from the max is labelled as the max', (t) => {
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1)
  t.deepEqual(tail(twenty, 99, 'seeds'), { label: 'max of 20 seeds', value: 20 })
  t.deepEqual(tail(twenty, 50, 'seeds'), { label: 'p50', value: 10 })
  t.deepEqual(tail([7], 99, 'seeds'), { label: 'max of 1 seed', value: 7 })
  const many = Array.from({ length: 1000 }, (_, i) => i + 1)
  t.deepEqual(tail(many, 99, 'calls'), { label: 'p99', value: 990 })
  t.true(Number.isNaN(tail([], 99, 'seeds').value))
})

test('PUTs the load generator counted ok but the node did not store become errors', (t) => {
  const put: Measured = { result: { generator: 'wrk', ok: 1000, errors: 2, seconds: 2, bytes: 5_120_000, p50Ms: 1, p99Ms: 3 } }
  t.is(unstoredPuts(1260, 260, put), 0)
  t.is(unstoredPuts(1300, 260, put), 0, 'PUTs stored after the generator stopped counting are no shortfall')
  t.is(unstoredPuts(1200, 260, put), 60)
  t.is(unstoredPuts(0, 0, undefined), 0)
  t.like(chargeUnstored(put, 60).result, { ok: 940, errors: 62 })
  t.like(chargeUnstored(put, 5000).result, { ok: 0, errors: 1002 })
})

test('a child started elsewhere and adopted is listed and stopped by pid with the rest', async (t) => {
  const registry = new ProcessRegistry()
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  const tracked = registry.adopt('sleeper', child)
  t.deepEqual(registry.list().map(p => p.pid), [child.pid])
  await registry.stopAll()
  t.is(await tracked.exited, 'SIGTERM')
  t.deepEqual(registry.list(), [])
  t.is(await registry.adopt('gone', child).exited, 'SIGTERM', 'a child already gone is not listed and reads as exited')
  t.deepEqual(registry.list(), [])
})
