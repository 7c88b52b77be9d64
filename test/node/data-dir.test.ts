import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DataDirLock, prepareDataDir, writeJsonAtomic } from '../../node/data-dir.js'
import { loadOrCreateIdentity, loadOrCreateToken } from '../../node/identity.js'
import { CorruptDataFileError, DataDirLockedError, DataDirUnwritableError } from '../../node/errors.js'
import { processStartTime } from '../../src/config/pid.js'

async function tempDir (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gmesh-data-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('a data dir held by a live node cannot be claimed, and says by whom', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'lock'), `${process.ppid}\n`)
  const err = await t.throwsAsync(DataDirLock.acquire(dir), { instanceOf: DataDirLockedError })
  t.true(err?.message.includes(String(process.ppid)))
  t.is((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.ppid), 'the owner keeps its lock')
})

test('a lock left by a dead node is taken over and released', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'lock'), '4194303\n')
  const lock = await DataDirLock.acquire(dir)
  t.is((await readFile(join(dir, 'lock'), 'utf8')).split(' ')[0], String(process.pid))
  await lock.release()
  await t.throwsAsync(stat(join(dir, 'lock')), { code: 'ENOENT' })
})

test('a lock whose pid now belongs to another process (reused after a reboot) is taken over', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'lock'), `${process.ppid} 1\n`) // the parent is alive, but it did not start at tick 1
  const lock = await DataDirLock.acquire(dir)
  t.is((await readFile(join(dir, 'lock'), 'utf8')).split(' ')[0], String(process.pid))
  await lock.release()
})

test('a second claim in the same process is refused and leaves the first claim\'s lock in place', async t => {
  const dir = await tempDir(t)
  const first = await DataDirLock.acquire(dir)
  const held = await readFile(join(dir, 'lock'), 'utf8')
  const err = await t.throwsAsync(DataDirLock.acquire(dir), { instanceOf: DataDirLockedError })
  t.is(err?.pid, process.pid)
  t.is(await readFile(join(dir, 'lock'), 'utf8'), held, 'the first claim keeps its lock')
  await first.release()
  await t.throwsAsync(stat(join(dir, 'lock')), { code: 'ENOENT' })
  const again = await DataDirLock.acquire(dir)
  t.teardown(async () => { await again.release() })
  t.pass('once released, the dir can be claimed again')
})

test('two claims in one process at the same moment: one wins', async t => {
  const dir = await tempDir(t)
  const results = await Promise.allSettled([DataDirLock.acquire(dir), DataDirLock.acquire(dir)])
  const won = results.filter(r => r.status === 'fulfilled')
  t.is(won.length, 1)
  t.true(results.some(r => r.status === 'rejected' && r.reason instanceof DataDirLockedError))
  await won[0]!.value.release()
})

const ownStart = processStartTime(process.pid)

test('a lock with this process\'s pid and another start time (a container restarted as pid 1) is taken over', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'lock'), `${process.pid} 1\n`)
  const lock = await DataDirLock.acquire(dir)
  t.regex(await readFile(join(dir, 'lock'), 'utf8'), new RegExp(`^${process.pid} `))
  t.not(await readFile(join(dir, 'lock'), 'utf8'), `${process.pid} 1\n`)
  await lock.release()
})

test('a lock with this process\'s pid and start time written by another process (two containers, both pid 1, one volume) is refused', async t => {
  if (ownStart === undefined) {
    t.pass('this system does not tell start times')
    return
  }
  const dir = await tempDir(t)
  const theirs = `${process.pid} ${ownStart}\n`
  await writeFile(join(dir, 'lock'), theirs)
  await t.throwsAsync(DataDirLock.acquire(dir), { instanceOf: DataDirLockedError })
  t.is(await readFile(join(dir, 'lock'), 'utf8'), theirs, 'their lock stays')
})

test('a release removes only the lock its own claim wrote, not one another claim with the same pid wrote since', async t => {
  const dir = await tempDir(t)
  const lock = await DataDirLock.acquire(dir)
  // what another process with this pid and start time (another container's pid 1) would write after a takeover
  const theirs = ownStart === undefined ? `${process.pid}\n` : `${process.pid} ${ownStart}\n`
  await writeFile(join(dir, 'lock'), theirs)
  await lock.release()
  t.is(await readFile(join(dir, 'lock'), 'utf8'), theirs)
})

test('processes claiming a stale lock at the same moment: exactly one wins, the others are refused, and the winner keeps its lock', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'lock'), '4194303\n') // left by a dead node: every claimant tries to take it over
  const dataDirModule = new URL('../../node/data-dir.js', import.meta.url).href
  const script = `const { DataDirLock } = await import(${JSON.stringify(dataDirModule)})
    try {
      const lock = await DataDirLock.acquire(process.argv[1])
      process.stdout.write('won\\n')
      process.stdin.on('end', async () => { await lock.release() }).resume()
    } catch (err) { process.stdout.write(err.name + '\\n') }`
  const claimants = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['pipe', 'pipe', 'inherit'] }))
  t.teardown(() => { for (const child of claimants) if (child.exitCode === null) child.kill('SIGKILL') })
  const answers = await Promise.all(claimants.map(async child => {
    let text = ''
    for await (const chunk of child.stdout!) {
      text += String(chunk)
      if (text.includes('\n')) break
    }
    return text.trim()
  }))
  t.deepEqual(answers.filter(a => a === 'won').length, 1, answers.join(', '))
  t.true(answers.every(a => a === 'won' || a === 'DataDirLockedError'), answers.join(', '))
  const winner = claimants[answers.indexOf('won')]!
  t.regex(await readFile(join(dir, 'lock'), 'utf8'), new RegExp(`^${winner.pid ?? -1}( |\\n)`), 'the lock is the winner\'s')
  for (const child of claimants) child.stdin!.end()
  await Promise.all(claimants.map(async child => { if (child.exitCode === null) await once(child, 'exit') }))
  await t.throwsAsync(stat(join(dir, 'lock')), { code: 'ENOENT' }, 'released by its owner')
})

test('an unwritable data dir is a clear error', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'file'), '')
  const err = await t.throwsAsync(prepareDataDir(join(dir, 'file', 'sub')), { instanceOf: DataDirUnwritableError })
  t.regex(err?.message ?? '', /cannot write to data dir .* --data/)
})

test('missing parents of the data dir are made, one level at a time, each private', async t => {
  const dir = await tempDir(t)
  await prepareDataDir(join(dir, 'a', 'b', 'c'))
  for (const level of ['a', 'a/b', 'a/b/c']) t.is((await stat(join(dir, level))).mode & 0o777, 0o700, level)
  await prepareDataDir(join(dir, 'a', 'b', 'c')) // there already: fine
})

const procFs = existsSync('/proc/self') ? test : test.skip

procFs('a data dir where the file system answers ENOENT to mkdir although the parent exists (/proc) is an error, not an endless mkdir loop', async t => {
  // Node's recursive mkdir retries this forever at 100% CPU; bounded here so that such a regression fails instead of hanging
  let bound: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>(resolve => { bound = setTimeout(() => { resolve('hung') }, 10_000) })
  const outcome = await Promise.race([prepareDataDir('/proc/gmesh-no-such-dir/data').then(() => 'made', (err: unknown) => err), hung])
  clearTimeout(bound)
  t.true(outcome instanceof DataDirUnwritableError, String(outcome))
  t.regex((outcome as Error).message, /cannot write to data dir \/proc\/gmesh-no-such-dir\/data \(ENOENT\)/)
})

test('the identity persists across restarts with mode 0600, so the peer ID is stable', async t => {
  const dir = await tempDir(t)
  const first = peerIdFromPrivateKey(await loadOrCreateIdentity(dir)).toString()
  const again = peerIdFromPrivateKey(await loadOrCreateIdentity(dir)).toString()
  t.is(again, first)
  t.is((await stat(join(dir, 'identity.key'))).mode & 0o777, 0o600)
})

test.serial('a new identity and token are synced to disk before they are renamed into place', async t => {
  const dir = await tempDir(t)
  // FileHandle's prototype, watched while this (serial) test runs: which of the data dir's files existed at each sync
  const probe = await open(join(dir, '.probe'), 'w')
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> }
  await probe.close()
  await rm(join(dir, '.probe'))
  const sync = proto.sync
  const seen: string[][] = []
  proto.sync = async function (this: unknown) {
    seen.push((await readdir(dir)).filter(name => !name.endsWith('.tmp')).sort())
    return await sync.call(this)
  }
  t.teardown(() => { proto.sync = sync })
  await loadOrCreateIdentity(dir)
  await loadOrCreateToken(dir)
  proto.sync = sync
  t.deepEqual(seen, [[], ['identity.key']], 'each file synced once, while only its temp file existed')
  t.true(existsSync(join(dir, 'token')))
  t.deepEqual((await readdir(dir)).filter(name => name.endsWith('.tmp')), [], 'no temp file left')
  seen.length = 0
  proto.sync = async function (this: unknown) { seen.push([]); return await sync.call(this) }
  await loadOrCreateIdentity(dir)
  await loadOrCreateToken(dir)
  proto.sync = sync
  t.deepEqual(seen, [], 'existing files are only read')
})

test('a damaged identity file is refused and left as it was', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'identity.key'), 'not a key')
  await t.throwsAsync(loadOrCreateIdentity(dir), { instanceOf: CorruptDataFileError })
  t.is(await readFile(join(dir, 'identity.key'), 'utf8'), 'not a key')
})

test('the control token is 64 hex characters, stable and private', async t => {
  const dir = await tempDir(t)
  const token = await loadOrCreateToken(dir)
  t.regex(token, /^[0-9a-f]{64}$/)
  await chmod(join(dir, 'token'), 0o644)
  t.is(await loadOrCreateToken(dir), token)
  t.is((await stat(join(dir, 'token'))).mode & 0o777, 0o600, 'a loosened mode is tightened again')
})

test('a JSON file that cannot be put in place (a directory holds its name) is an error and leaves no temp file behind', async t => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'node.json', 'taken'), { recursive: true })
  await t.throwsAsync(writeJsonAtomic(join(dir, 'node.json'), { ready: true }))
  t.deepEqual(await readdir(dir), ['node.json'])
  await writeJsonAtomic(join(dir, 'budget.json'), { maxBytes: 5 })
  t.deepEqual(JSON.parse(await readFile(join(dir, 'budget.json'), 'utf8')), { maxBytes: 5 })
  t.deepEqual((await readdir(dir)).sort(), ['budget.json', 'node.json'])
})
