import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { initScriptFile } from '../../src/gradle/init-script-file.js'

async function parent (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-init-file-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

const SCRIPT = "settingsEvaluated { s -> s.buildCache { remote(HttpBuildCache) { url = 'http://127.0.0.1:5071/cache/' } } }\n"

test('the same script gets the same path run after run, for the next build (Gradle\'s configuration cache)', async t => {
  const dir = await parent(t)
  const first = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  await first.release()
  const second = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  t.is(second.path, first.path)
  t.is(await readFile(second.path, 'utf8'), SCRIPT)
  t.is(path.dirname(first.path), path.join(dir, `gmesh-init-${process.getuid!()}`))
  t.is((await stat(path.dirname(first.path))).mode & 0o777, 0o700)
})

test('another script (another cache URL) gets a path of its own', async t => {
  const dir = await parent(t)
  const a = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  const b = await initScriptFile(SCRIPT.replace('5071', '6071'), { keep: true, parent: dir })
  t.not(a.path, b.path)
  t.is(await readFile(a.path, 'utf8'), SCRIPT)
})

test('a kept script whose bytes changed is written again', async t => {
  const dir = await parent(t)
  const { path: file } = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  await writeFile(file, 'println "not ours"\n')
  t.is((await initScriptFile(SCRIPT, { keep: true, parent: dir })).path, file)
  t.is(await readFile(file, 'utf8'), SCRIPT)
})

test('builds starting together share one whole script', async t => {
  const dir = await parent(t)
  const files = await Promise.all(Array.from({ length: 12 }, async () => await initScriptFile(SCRIPT, { keep: true, parent: dir })))
  t.is(new Set(files.map(f => f.path)).size, 1)
  t.is(await readFile(files[0]!.path, 'utf8'), SCRIPT)
})

test('a script of a one-off run (keep off) goes to a one-run temp dir, removed afterwards', async t => {
  const dir = await parent(t)
  const file = await initScriptFile(SCRIPT, { keep: false, parent: dir })
  t.false(file.path.includes(`gmesh-init-${process.getuid!()}`))
  await file.release()
  await t.throwsAsync(stat(path.dirname(file.path)), { code: 'ENOENT' })
})

test('under a parent others may write (not sticky), the script is not kept: they could swap the private dir after the check', async t => {
  const dir = await parent(t)
  const open = path.join(dir, 'open')
  await mkdir(open)
  await chmod(open, 0o777)
  const file = await initScriptFile(SCRIPT, { keep: true, parent: open })
  // not under the private dir (the one-run dir is gmesh-init-XXXXXX, whose random part may start with the uid's digits)
  const privateDir = path.join(open, `gmesh-init-${process.getuid!()}`) + path.sep
  t.false(file.path.startsWith(privateDir))
  await chmod(open, 0o1777)
  t.true((await initScriptFile(SCRIPT, { keep: true, parent: open })).path.startsWith(privateDir), 'a sticky one, like /tmp, is fine')
})

for (const [what, prepare] of [
  ['writable by others', async (dir: string) => { await mkdir(dir); await chmod(dir, 0o777) }],
  ['a symbolic link', async (dir: string) => { await mkdir(`${dir}-real`, { mode: 0o700 }); await symlink(`${dir}-real`, dir) }],
  ['a file', async (dir: string) => { await writeFile(dir, '') }]
] as const) {
  test(`a script directory that is ${what} is not trusted: the script goes to a one-run temp dir, removed afterwards`, async t => {
    const dir = await parent(t)
    await prepare(path.join(dir, `gmesh-init-${process.getuid!()}`))
    const file = await initScriptFile(SCRIPT, { keep: true, parent: dir })
    t.false(file.path.startsWith(path.join(dir, `gmesh-init-${process.getuid!()}`) + path.sep))
    t.is(await readFile(file.path, 'utf8'), SCRIPT)
    await file.release()
    await t.throwsAsync(stat(path.dirname(file.path)), { code: 'ENOENT' })
  })
}

/** A pid that no process has any more: a child's, once it exited. */
async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid!
}

test('a kept script is removed when the run that used it ends; its directory stays', async t => {
  const dir = await parent(t)
  const file = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  t.is(await readFile(file.path, 'utf8'), SCRIPT)
  await file.release()
  await t.throwsAsync(stat(file.path), { code: 'ENOENT' })
  t.deepEqual(await readdir(path.dirname(file.path)), [], 'no note, no lock left either')
  t.is((await stat(path.dirname(file.path))).mode & 0o777, 0o700)
})

test('runs of the same script share it: it goes only when the last of them ends', async t => {
  const dir = await parent(t)
  const [a, b] = await Promise.all([initScriptFile(SCRIPT, { keep: true, parent: dir }), initScriptFile(SCRIPT, { keep: true, parent: dir })])
  await a!.release()
  t.is(await readFile(b!.path, 'utf8'), SCRIPT, 'the other run still uses it')
  const c = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  await b!.release()
  t.is(await readFile(c.path, 'utf8'), SCRIPT, 'a run that started meanwhile keeps it too')
  await c.release()
  await t.throwsAsync(stat(c.path), { code: 'ENOENT' })
})

test('another script\'s file is never removed, and the note of a run that died does not keep a script', async t => {
  const dir = await parent(t)
  const other = await initScriptFile(SCRIPT.replace('5071', '6071'), { keep: true, parent: dir })
  const file = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  const hash = path.basename(file.path, '.gradle')
  const dead = path.join(path.dirname(file.path), `${hash}.${await deadPid()}.abcdef.run`)
  await writeFile(dead, '')
  // and a lock left by a run that died holding it
  await writeFile(path.join(path.dirname(file.path), `${hash}.lock`), String(await deadPid()))
  await file.release()
  await t.throwsAsync(stat(file.path), { code: 'ENOENT' })
  await t.throwsAsync(stat(dead), { code: 'ENOENT' })
  t.is(await readFile(other.path, 'utf8'), SCRIPT.replace('5071', '6071'))
  await other.release()
})

test('a lock left empty by a run that died before writing its pid is taken over: the script is still kept', async t => {
  const dir = await parent(t)
  const first = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  await first.release()
  const lock = first.path.replace(/\.gradle$/, '.lock')
  await writeFile(lock, '')
  const longAgo = new Date(Date.now() - 60_000)
  await utimes(lock, longAgo, longAgo)
  const again = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  t.is(again.path, first.path, 'the kept path, not a one-run script after a 5 s wait')
  await again.release()
  await t.throwsAsync(stat(lock), { code: 'ENOENT' })
})

test('a kept script that cannot be written falls back to a one-run script instead of failing the build', async t => {
  const dir = await parent(t)
  const first = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  await first.release()
  // a directory where the script goes: reading it fails, and so does the rename of the new script onto it
  await mkdir(path.join(first.path, 'in-the-way'), { recursive: true })
  const file = await initScriptFile(SCRIPT, { keep: true, parent: dir })
  t.not(file.path, first.path)
  t.is(await readFile(file.path, 'utf8'), SCRIPT)
  await file.release()
  await t.throwsAsync(stat(file.path), { code: 'ENOENT' })
})
