#!/usr/bin/env node
// Entry point of the gmesh command: runs the compiled CLI (npm ci builds it through "prepare").
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(`gmesh: needs Node 24 or newer, this is ${process.version}. ` +
    'Run it as `npx gmesh` (or through npm scripts) from the project, which use the Node 24 in node_modules/.bin.\n')
  process.exit(2)
}
// Cache PUTs fsync every blob; more libuv threads let those fsyncs overlap (src/config/threadpool.ts). This must
// be set before the first file system call, hence the dynamic imports (loading a module starts no libuv thread).
const { uvThreadpoolSize } = await import('../dist/src/config/threadpool.js')
process.env.UV_THREADPOOL_SIZE = uvThreadpoolSize(process.env)
// A node runs for days: a young generation of 2 MiB semi-spaces (V8's default grows to 16 MiB) keeps an idle
// node near 120 MiB instead of 155 MiB and a loaded one near 160 MiB instead of 280 MiB, with the same cache
// throughput (measured on this project's benchmarks). V8 reads it only at start, so the process replaces itself
// (same pid, same stdio) with one started with the flag.
const SEMI_SPACE_FLAG = '--max-semi-space-size=2'
if (process.argv[2] === 'up' && typeof process.execve === 'function' &&
    !process.execArgv.some(arg => arg.startsWith('--max-semi-space-size'))) {
  try {
    process.execve(process.execPath, [process.execPath, SEMI_SPACE_FLAG, ...process.execArgv, ...process.argv.slice(1)], process.env)
  } catch {
    // exec refused (a sandbox, say): run on with V8's default young generation
  }
}
const { main } = await import('../dist/src/cli/main.js')

process.exitCode = await main(process.argv.slice(2))
