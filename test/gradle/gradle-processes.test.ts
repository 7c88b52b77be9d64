import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
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
async function fakeDaemon (t: Teardown, h: Homes, buildingIn: string, options: { daemonClass?: boolean } = {}): Promise<ChildProcess & { workerPid: number }> {
  const log = path.join(h.daemonDir, `daemon-${Math.random().toString(16).slice(2)}.out.log`)
  const lock = path.join(buildingIn, 'fileHashes.lock')
  await writeFile(lock, '')
  // a worker JVM of the build: forked into the daemon's process group, working in the project
  const worker = `require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: ${JSON.stringify(buildingIn)}, stdio: 'ignore' })`
  const script = `const fs = require('node:fs'); const log = fs.openSync(${JSON.stringify(log)}, 'a'); const lock = fs.openSync(${JSON.stringify(lock)}, 'r');
    process.chdir(${JSON.stringify(buildingIn)}); const worker = ${worker};
    process.stdin.once('data', () => { fs.closeSync(lock); worker.kill(); process.chdir(${JSON.stringify(h.daemonDir)}); console.log('idle') });
    console.log(String(worker.pid)); setInterval(() => {}, 1000)`
  const args = ['-e', script, ...(options.daemonClass === false ? [] : ['org.gradle.launcher.daemon.bootstrap.GradleDaemon', '4.4.1'])]
  // a daemon leads a process group of its own
  const child = spawn(process.execPath, args, { cwd: h.daemonDir, stdio: ['pipe', 'pipe', 'inherit'], detached: true })
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} })
  const [line] = await once(child.stdout!, 'data') as [Buffer]
  return Object.assign(child, { workerPid: Number(String(line).trim()) })
}

function pids (refs: Array<{ pid: number }>): number[] {
  return refs.map(ref => ref.pid).sort()
}

/** Alive and not a zombie (this test process reaps its children only once they are waited for). */
function isAlive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
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
  t.deepEqual(pids(await daemonsOf(h.gradleUserHome)), [building.pid, other.pid, idle.pid].sort())
  t.deepEqual(pids(await daemonsBuildingIn(h.gradleUserHome, h.project)), [building.pid])
  t.deepEqual(pids(await daemonsBuildingIn(h.gradleUserHome, h.elsewhere)), [other.pid])
})

test('a daemon still building in the project after the grace period is killed with the worker it forked; one busy elsewhere is left alone', async t => {
  const h = await homes(t)
  const stuck = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  const other = await fakeDaemon(t, h, h.elsewhere)
  const killed = await releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 200, pollMs: 20 })
  t.deepEqual(killed, [stuck.pid])
  t.false(isAlive(stuck.pid!))
  t.false(isAlive(stuck.workerPid), 'its test JVM, which would go on working in the workspace')
  t.true(isAlive(other.pid!))
  t.true(isAlive(other.workerPid))
})

test('when the node stops, a daemon still building is killed without waiting out the grace period', async t => {
  const h = await homes(t)
  const stuck = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  const stopping = new AbortController()
  stopping.abort()
  t.deepEqual(await releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 600_000, skipGrace: stopping.signal }), [stuck.pid])
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
  t.deepEqual(pids(await daemonsOf(h.gradleUserHome)), [])
  t.deepEqual(await releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 0 }), [])
  t.true(isAlive(stranger.pid!))
})

test('killing the daemons of a home also kills one in the middle of a build', async t => {
  const h = await homes(t)
  const building = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  t.deepEqual(await killDaemonsOf(h.gradleUserHome), [building.pid])
  t.false(isAlive(building.pid!))
  t.false(isAlive(building.workerPid), 'with the worker it forked')
})

// serial: it steps Date.now back for the whole process while it runs
test.serial('the grace period ends on time although the wall clock steps back 30 s in it', async t => {
  t.timeout(5000, 'the grace period waited for the wall clock to catch up')
  const h = await homes(t)
  const stuck = await fakeDaemon(t, h, path.join(h.project, '.gradle'))
  const wallNow = Date.now
  let steppedBack = 0
  Date.now = () => wallNow() - steppedBack
  t.teardown(() => { Date.now = wallNow })
  const releasing = releaseProjectFromDaemons(h.gradleUserHome, h.project, { graceMs: 200, pollMs: 20 })
  steppedBack = 30_000 // NTP steps the clock back as the grace period starts
  t.deepEqual(await releasing, [stuck.pid])
})
