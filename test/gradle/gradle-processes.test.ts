import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { daemonsBuildingIn, daemonsOf, killDaemonsOf, releaseProjectFromDaemons } from '../../src/gradle/gradle-processes.js'

interface Homes { gradleUserHome: string, daemonDir: string, project: string, elsewhere: string }

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

async function homes (t: Teardown): Promise<Homes> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-daemons-'))
  const gradleUserHome = path.join(root, 'home')
  const daemonDir = path.join(gradleUserHome, 'daemon', '4.4.1')
  const project = path.join(root, 'project')
  const elsewhere = path.join(root, 'other-project')
  for (const dir of [daemonDir, path.join(project, '.gradle'), elsewhere]) await mkdir(dir, { recursive: true })
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  return { gradleUserHome, daemonDir, project, elsewhere }
}

/**
 * A stand-in for a Gradle daemon of `h`: its command line names Gradle's daemon class, it keeps its log in the
 * daemon dir open and, while "building", works in `buildingIn` and holds a lock file there open. Told so on stdin
 * it ends the build as a daemon does: closes the lock file and moves back to the daemon dir.
 */
async function fakeDaemon (t: Teardown, h: Homes, buildingIn: string, options: { daemonClass?: boolean } = {}): Promise<ChildProcess> {
  const log = path.join(h.daemonDir, `daemon-${Math.random().toString(16).slice(2)}.out.log`)
  const lock = path.join(buildingIn, 'fileHashes.lock')
  await writeFile(lock, '')
  const script = `const fs = require('node:fs'); const log = fs.openSync(${JSON.stringify(log)}, 'a'); const lock = fs.openSync(${JSON.stringify(lock)}, 'r');
    process.chdir(${JSON.stringify(buildingIn)});
    process.stdin.once('data', () => { fs.closeSync(lock); process.chdir(${JSON.stringify(h.daemonDir)}); console.log('idle') });
    console.log('building'); setInterval(() => {}, 1000)`
  const args = ['-e', script, ...(options.daemonClass === false ? [] : ['org.gradle.launcher.daemon.bootstrap.GradleDaemon', '4.4.1'])]
  const child = spawn(process.execPath, args, { cwd: h.daemonDir, stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  await once(child.stdout!, 'data')
  return child
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('the daemons of a home are found while idle and while building; the one building a project is told apart', async t => {
  const h = await homes(t)
  const building = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  const other = await fakeDaemon(t, h, h.elsewhere)
  const idle = await fakeDaemon(t, h, h.elsewhere)
  idle.stdin!.write('done\n')
  await once(idle.stdout!, 'data')
  t.deepEqual((await daemonsOf(h.gradleUserHome)).sort(), [building.pid, other.pid, idle.pid].sort())
  t.deepEqual(await daemonsBuildingIn(h.gradleUserHome, h.project), [building.pid])
  t.deepEqual(await daemonsBuildingIn(h.gradleUserHome, h.elsewhere), [other.pid])
})

test('a daemon still building in the project after the grace period is killed; one busy elsewhere is left alone', async t => {
  const h = await homes(t)
  const stuck = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  const other = await fakeDaemon(t, h, h.elsewhere)
  const killed = await releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 200, pollMs: 20 })
  t.deepEqual(killed, [stuck.pid])
  t.false(isAlive(stuck.pid!))
  t.true(isAlive(other.pid!))
})

test('a daemon that lets go of the project within the grace period stays alive and warm', async t => {
  const h = await homes(t)
  const daemon = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  const releasing = releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 30_000, pollMs: 20 })
  daemon.stdin!.write('build cancelled\n')
  t.deepEqual(await releasing, [])
  t.true(isAlive(daemon.pid!))
})

test('a process that is not a Gradle daemon is never taken for one, whatever files it holds', async t => {
  const h = await homes(t)
  const stranger = await fakeDaemon(t, h, path.join(h.project, '.gradle'), { daemonClass: false })
  t.deepEqual(await daemonsOf(h.gradleUserHome), [])
  t.deepEqual(await releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 0 }), [])
  t.true(isAlive(stranger.pid!))
})

test('killing the daemons of a home also kills one in the middle of a build', async t => {
  const h = await homes(t)
  const building = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  t.deepEqual(await killDaemonsOf(h.gradleUserHome), [building.pid])
  t.false(isAlive(building.pid!))
})
