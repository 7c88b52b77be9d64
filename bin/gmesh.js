#!/usr/bin/env node
// Entry point of the gmesh command: runs the compiled CLI (npm ci builds it through "prepare").
// Cache PUTs fsync every blob; more libuv threads let those fsyncs overlap. This must be set
// before the first file system call, hence the dynamic import below.
process.env.UV_THREADPOOL_SIZE ??= '16'
const { main } = await import('../dist/src/cli/main.js')

process.exitCode = await main(process.argv.slice(2))
