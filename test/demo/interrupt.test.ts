import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GMESH_BIN } from '../../src/client/node-process.js'

test('Ctrl-C while the demo starts its nodes stops them, removes its temp directory and exits 130', async t => {
  t.timeout(60_000)
  const scratch = await mkdtemp(path.join(tmpdir(), 'gmesh-demo-interrupt-'))
  t.teardown(async () => { await rm(scratch, { recursive: true, force: true }) })
  const demo = spawn(process.execPath, [GMESH_BIN, 'demo'], { env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(demo, 'exit')
  t.teardown(() => { if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  demo.stderr.on('data', chunk => { stderr += String(chunk) })
  // read on (no `for await` + break: that would close the pipe, and the demo's next line would meet EPIPE)
  const nodeUp = new Promise<void>(resolve => {
    demo.stdout.on('data', chunk => {
      stdout += String(chunk)
      if (stdout.includes('node 1 up')) resolve()
    })
  })
  await Promise.race([nodeUp, exited.then(() => { throw new Error(`the demo exited before its first node was up:\n${stderr}`) })])
  const cacheUrl = /node 1 up: \S+ serving (\S+)/.exec(stdout)?.[1]
  t.truthy(cacheUrl, stdout)
  demo.kill('SIGINT')

  const [code] = await exited
  t.is(code, 130, stderr)
  t.regex(stderr, /gmesh: SIGINT: stopping the demo, its Gradle and its nodes; again to exit at once\n/)
  t.regex(stderr, /gmesh: demo interrupted; its nodes were stopped and its temp directory removed\n/)
  t.false(stdout.includes('first build'), 'no build started after the interrupt')
  await t.throwsAsync(fetch(`${cacheUrl!}${'0'.repeat(64)}`), undefined, 'node 1 no longer answers')
  t.deepEqual((await readdir(scratch)).filter(name => name.startsWith('gmesh-demo-')), [], 'the demo\'s temp directory is gone')
})
