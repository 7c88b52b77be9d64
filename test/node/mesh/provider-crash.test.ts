import test, { type ExecutionContext } from 'ava'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { monotonicNow } from '../../../node/clock.js'
import { Mesh } from '../../../node/mesh/mesh.js'
import { ContentStore } from '../../../src/cas/store.js'
import { silentLogger } from '../../../src/config/logger.js'

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'provider-crash-child.js')

/** An in-process mesh node on loopback with its own store, stopped (and its directory removed) when the test ends. */
async function startAsker (t: ExecutionContext): Promise<Mesh> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmesh-crash-asker-'))
  const store = await ContentStore.open({ dir, maxBytes: 64 * 1024 * 1024, logger: silentLogger() })
  const mesh = new Mesh({ privateKey: await generateKeyPair('Ed25519'), store, logger: silentLogger() }, {
    listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, slots: 0, maxEntryBytes: 64 * 1024 * 1024
  })
  await mesh.start()
  t.teardown(async () => {
    await mesh.stop()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return mesh
}

test('a provider whose process is killed in the middle of a body is not taken for one that served corrupt bytes', async t => {
  t.timeout(120_000, 'a provider process and a node on a shared 2-core machine')
  const asker = await startAsker(t)
  const cache = asker.cache!
  const address = asker.multiaddrs.find(m => m.includes('/ip4/127.0.0.1/'))!
  const key = 'cd'.repeat(20)
  const child = spawn(process.execPath, [CHILD, address.includes('/p2p/') ? address : `${address}/p2p/${asker.peerId}`, key], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const ready = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', line => { if (line.startsWith('ready ')) resolve(line.slice('ready '.length)) })
    child.once('exit', code => { reject(new Error(`the provider exited (${code}) before it was ready`)) })
  })
  // the claim comes by gossip, the provider's liveness by membership: neither says when it arrived
  for (let i = 0; i < 200 && !(cache.protocol.index.has(key, ready) && asker.peerList().some(p => p.peerId === ready && p.status === 'alive')); i++) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  t.true(cache.protocol.index.has(key, ready), 'the asker indexed the provider\'s claim')

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
  t.false(protocol.lookup.isPenalised(ready, monotonicNow()), 'the provider may be asked again once it is back')
})
