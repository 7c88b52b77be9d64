import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { makeEntries, putEntries } from '../../bench/lib/cache-fixtures.js'
import { keepAlive, peerAnswers, startMeshNode, storedEntries, timedGet, waitForIndexed, waitForPeers, waitForStored, type MeshNode } from '../../bench/lib/mesh-nodes.js'
import { RawReference } from '../../bench/lib/mesh-reference.js'
import { processes } from '../../bench/lib/processes.js'

test.after.always(() => { keepAlive.destroy() })

test('the raw libp2p reference runs its peer in a child process, moves the whole blob and a 5 KiB reply, and stops it by pid', async (t) => {
  const ref = await RawReference.start(256 * 1024)
  const child = processes.list().find(p => p.name === 'mesh raw peer')
  try {
    t.truthy(child)
    t.true(await ref.blobMs() > 0)
    const call = await ref.smallCall()
    t.true(call.openMs > 0 && call.callMs > 0)
  } finally {
    await ref.stop()
  }
  t.false(processes.list().some(p => p.pid === child?.pid))
})

test('a GET on B of an entry PUT on A crosses the mesh: B fetches it once, then serves it as a local hit', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gmesh-bench-mesh-test-'))
  const nodes: MeshNode[] = []
  try {
    const a = await startMeshNode(root, 'a')
    nodes.push(a)
    const b = await startMeshNode(root, 'b', a.info)
    nodes.push(b)
    await waitForPeers(b, 1)
    const [entry] = makeEntries(1, 5120)
    await putEntries(a.info.cacheUrl, [entry], 1)
    await waitForIndexed(b, 1)
    const fetched = await timedGet(b.info.cacheUrl + entry.key)
    t.is(fetched.status, 200)
    t.is(fetched.bytes, 5120)
    t.true(fetched.firstByteMs <= fetched.totalMs)
    t.deepEqual(await peerAnswers(b), { hits: 1, misses: 0 })
    await waitForStored(b, 1) // B stores what it fetched once the body is verified, which may be just after it served it
    t.is(await storedEntries(b), 1, 'stored once')
    const miss = await timedGet(b.info.cacheUrl + 'ab'.repeat(32))
    t.is(miss.status, 404)
    t.is((await peerAnswers(b)).misses, 1)
  } finally {
    for (const n of nodes) await n.node.stop()
    await rm(root, { recursive: true, force: true })
  }
  t.is(processes.list().length, 0)
})
