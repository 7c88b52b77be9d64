import test from 'ava'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PlainNodeServer } from '../../bench/lib/plain-node-server.js'
import { uvThreadpoolSize } from '../../src/config/threadpool.js'

test('the plain Node reference runs with the libuv thread pool of a gmesh node, not libuv\'s default', async t => {
  const root = await mkdtemp(join(tmpdir(), 'gmesh-plain-node-'))
  const server = new PlainNodeServer(root)
  t.teardown(async () => {
    await server.stop()
    await rm(root, { recursive: true, force: true })
  })
  await server.start()
  const environ = (await readFile(`/proc/${server.pid!}/environ`, 'utf8')).split('\0')
  t.true(environ.includes(`UV_THREADPOOL_SIZE=${uvThreadpoolSize(process.env)}`), environ.filter(e => e.startsWith('UV_')).join(' '))
  t.is(uvThreadpoolSize({}), '16')
})
