import test, { type ExecutionContext } from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { GMESH_BIN } from '../../src/client/node-process.js'
import { isAlive } from '../../src/config/pid.js'
import { sandbox } from './gradle-sandbox.js'

/** Is `pid` a process that still runs: alive and not a zombie (killed, its parent gone, not yet reaped)? */
function runsStill (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/**
 * `gmesh gradle -- build` with a wrapper that runs `setup`, prints its pid, then runs `script`; resolves once it
 * printed (so what `setup` does, such as trapping signals, is in place before the test sends any).
 */
async function gradleRunning (t: ExecutionContext, script: string, setup = ''): Promise<{ gmesh: ChildProcess, gradlePid: number, initScript: string, stderr: () => string, exited: Promise<unknown[]> }> {
  const box = await sandbox(t)
  await mkdir(box.project, { recursive: true })
  await writeFile(path.join(box.project, 'settings.gradle'), '')
  await writeFile(path.join(box.project, 'gradlew'), `#!/bin/sh\n${setup}\necho "gradle started $$ with $2"\n${script}\n`)
  await chmod(path.join(box.project, 'gradlew'), 0o755)
  // its init scripts in a temp dir of its own (the sandbox), not among other runs' in the system's
  const gmesh = spawn(process.execPath, [GMESH_BIN, 'gradle', '--data', box.dataDir, '--project', box.project, '--', 'build'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: box.root } })
  let stderr = ''
  gmesh.stderr.on('data', chunk => { stderr += String(chunk) })
  const exited = once(gmesh, 'exit')
  let gradlePid: number | undefined
  let initScript = ''
  t.teardown(() => {
    if (gmesh.exitCode === null) gmesh.kill('SIGKILL')
    if (gradlePid !== undefined && isAlive(gradlePid)) process.kill(gradlePid, 'SIGKILL')
  })
  let seen = ''
  for await (const chunk of gmesh.stdout) {
    seen += String(chunk)
    const started = /gradle started (\d+) with (.*)\n/.exec(seen)
    if (started != null) {
      gradlePid = Number(started[1])
      initScript = started[2]!
      break
    }
  }
  if (gradlePid === undefined) throw new Error(`Gradle never started:\n${stderr}`)
  return { gmesh, gradlePid, initScript, stderr: () => stderr, exited }
}

test.serial('a hangup (the terminal closed, an SSH session dropped) stops gmesh gradle and the Gradle it started', async t => {
  const { gmesh, gradlePid, exited } = await gradleRunning(t, 'exec sleep 600')
  t.true(isAlive(gradlePid), 'Gradle runs')
  gmesh.kill('SIGHUP')
  await exited
  t.false(isAlive(gradlePid), 'gmesh stopped Gradle before it exited; nothing is left running')
})

test.serial('Ctrl-C stops the Gradle of gmesh gradle and exits 130, saying it was interrupted', async t => {
  const { gmesh, gradlePid, initScript, stderr, exited } = await gradleRunning(t, 'exec sleep 600')
  t.is(await readFile(initScript, 'utf8').then(() => 'there'), 'there', 'Gradle has its init script while it runs')
  gmesh.kill('SIGINT')
  const [code] = await exited
  t.is(code, 130)
  t.false(isAlive(gradlePid))
  await t.throwsAsync(readFile(initScript), { code: 'ENOENT' }, 'the run\'s init script is gone')
  t.regex(stderr(), /gmesh: SIGINT: stopping Gradle; again to exit at once\ngmesh: build interrupted; Gradle was stopped\n/)
})

test.serial('a second Ctrl-C kills a Gradle that ignores the first and exits at once', async t => {
  const { gmesh, gradlePid, initScript, stderr, exited } = await gradleRunning(t, 'exec sleep 600', "trap '' TERM INT")
  gmesh.kill('SIGINT')
  while (!stderr().includes('again to exit at once')) await once(gmesh.stderr!, 'data')
  gmesh.kill('SIGINT')
  const [code] = await exited
  t.is(code, 130)
  t.false(runsStill(gradlePid), 'Gradle was killed (gone, or a zombie until init reaps it: gmesh did not wait)')
  t.regex(stderr(), /gmesh: interrupted again: killed Gradle and exited at once\n/)
  // a gmesh that waited out the 10 s grace of Gradle's stop would end as the first Ctrl-C does, saying so
  t.notRegex(stderr(), /build interrupted; Gradle was stopped/, 'no wait for the grace period of Gradle\'s stop')
  await t.throwsAsync(readFile(initScript), { code: 'ENOENT' }, 'even a forced exit removes the run\'s init script')
})
