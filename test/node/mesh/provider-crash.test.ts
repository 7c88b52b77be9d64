import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { monotonicNow } from '../../../node/clock.js'
import { awaitClaim, loopbackAddress, startMeshInProcess } from './in-process-mesh.js'

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'provider-crash-child.js')

test('a provider whose process is killed in the middle of a body is not taken for one that served corrupt bytes', async t => {
  t.timeout(120_000, 'a provider process and a node on a shared 2-core machine')
  const asker = await startMeshInProcess(t, 'gmesh-crash-asker-')
  const cache = asker.cache!
  const key = 'cd'.repeat(20)
  // a killed provider leaves its store behind: it makes it under a temp dir of the test's
  const childTmp = await mkdtemp(path.join(tmpdir(), 'gmesh-crash-provider-'))
  const child = spawn(process.execPath, [CHILD, loopbackAddress(asker), key], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: childTmp } })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    await rm(childTmp, { recursive: true, force: true })
  })
  const provider = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', line => { if (line.startsWith('ready ')) resolve(line.slice('ready '.length)) })
    child.once('exit', code => { reject(new Error(`the provider exited (${code}) before it was ready`)) })
  })
  t.true(await awaitClaim(asker, key, provider), 'the asker indexed the provider\'s claim')

  const protocol = cache.protocol
  const onFetchHeader = protocol.onFetchHeader.bind(protocol)
  const bodyAccepted = new Promise<void>(resolve => {
    protocol.onFetchHeader = (...args) => {
      const decision = onFetchHeader(...args)
      if (decision.accept) resolve()
      return decision
    }
  })
  const answer = cache.fetchMissing(key, AbortSignal.timeout(27_000))
  await bodyAccepted
  child.kill('SIGKILL') // at most 512 KiB of the 4 MiB body came: the connection closes under it
  t.is(await answer, false, 'the only provider is gone: a miss')
  t.is(cache.stats.corruptRejected, 0, 'the provider served no wrong byte')
  t.is(cache.stats.penalised, 0)
  t.false(protocol.lookup.isPenalised(provider, monotonicNow()), 'the provider may be asked again once it is back')
})
