#!/usr/bin/env node
// Entry point of the gmesh command: runs the compiled CLI (npm ci builds it through "prepare").
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(`gmesh: needs Node 24 or newer, this is ${process.version}. ` +
    'Run it as `npx gmesh` (or through npm scripts) from the project, which use the Node 24 in node_modules/.bin.\n')
  process.exit(2)
}
// Cache PUTs fsync every blob; more libuv threads let those fsyncs overlap. This must be set
// before the first file system call, hence the dynamic import below.
process.env.UV_THREADPOOL_SIZE ??= '16'
const { main } = await import('../dist/src/cli/main.js')

process.exitCode = await main(process.argv.slice(2))
