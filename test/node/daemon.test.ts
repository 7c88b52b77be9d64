import test from 'ava'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Daemon } from '../../node/daemon.js'
import { DataDirLockedError } from '../../node/errors.js'
import { silentLogger } from '../../src/config/logger.js'

test('a second node started in the same process on the same data dir is refused, and the first keeps its lock', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gmesh-two-daemons-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const options = { dataDir, http: { host: '127.0.0.1', port: 0 }, logger: silentLogger() }
  const first = await Daemon.start(options)
  t.teardown(async () => { await first.stop() })
  const lock = await readFile(join(dataDir, 'lock'), 'utf8')

  await t.throwsAsync(Daemon.start(options), { instanceOf: DataDirLockedError })
  t.is(await readFile(join(dataDir, 'lock'), 'utf8'), lock, 'the first node\'s lock is untouched')
  t.is((await fetch(`${first.info.cacheUrl}${'0'.repeat(32)}`)).status, 404, 'and it still serves')

  await first.stop()
  await t.throwsAsync(stat(join(dataDir, 'lock')), { code: 'ENOENT' }, 'released when it stops')
})

test('a start called off by its signal undoes what it did and never says ready', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gmesh-start-aborted-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const reason = new Error('stop requested (SIGTERM)')
  await t.throwsAsync(Daemon.start({ dataDir, http: { host: '127.0.0.1', port: 0 }, logger: silentLogger() }, { signal: AbortSignal.abort(reason) }), { is: reason })
  await t.throwsAsync(stat(join(dataDir, 'lock')), { code: 'ENOENT' })
  await t.throwsAsync(stat(join(dataDir, 'node.json')), { code: 'ENOENT' })
})
