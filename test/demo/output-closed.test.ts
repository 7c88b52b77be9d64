import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GMESH_BIN } from '../../src/client/node-process.js'

// `gmesh demo | head -1`: head exits after a line, the demo's next line meets EPIPE
test('the demo whose output is closed stops its nodes, removes its temp directory and exits 1 without a stack trace', async t => {
  t.timeout(60_000)
  const scratch = await mkdtemp(path.join(tmpdir(), 'gmesh-demo-epipe-'))
  t.teardown(async () => { await rm(scratch, { recursive: true, force: true }) })
  const demo = spawn(process.execPath, [GMESH_BIN, 'demo'], { env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(demo, 'exit')
  t.teardown(() => { if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL') })
  let stderr = ''
  demo.stderr.on('data', chunk => { stderr += String(chunk) })
  let stdout = ''
  const firstLine = new Promise<void>(resolve => {
    demo.stdout.on('data', chunk => {
      stdout += String(chunk)
      if (stdout.includes('\n')) resolve()
    })
  })
  await Promise.race([firstLine, exited.then(() => { throw new Error(`the demo exited before its first line:\n${stderr}`) })])
  t.regex(stdout, /^gmesh demo: node 1 up/)
  demo.stdout.destroy() // as head does when it has its lines

  const [code] = await exited
  t.is(code, 1, stderr)
  t.regex(stderr, /gmesh: demo stopped: its output was closed \(EPIPE\); its nodes were stopped and its temp directory removed\n/)
  t.notRegex(stderr, /Unhandled 'error' event|\n\s+at /)
  t.deepEqual((await readdir(scratch)).filter(name => name.startsWith('gmesh-demo-')), [], 'the demo\'s temp directory is gone')
})
