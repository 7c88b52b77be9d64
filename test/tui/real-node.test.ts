import test from 'ava'
import { createHash } from 'node:crypto'
import { createElement } from 'react'
import { render } from 'ink-testing-library'
import { App } from '../../src/tui/components/app.js'
import { runFeed } from '../../src/tui/feed.js'
import { TuiStore } from '../../src/tui/store.js'
import { NodeClient } from '../../src/client/node-client.js'
import { removeDataDir, runGmesh, startNode } from '../helpers/gmesh-node.js'
import { untilFrame } from './frames.js'

test('against a real node: the dashboard shows the node, then a Gradle-style PUT and GET as live events and cache figures; plain mode prints tables', async t => {
  const node = await startNode()
  t.teardown(async () => { await removeDataDir(node) })
  const client = await NodeClient.connect(node.dataDir)
  const store = new TuiStore({ batchMs: 0 })
  const stop = new AbortController()
  const feed = runFeed(client, store, { signal: stop.signal, pollMs: 200 })
  const instance = render(createElement(App, { store, initialView: 'events' }))
  t.teardown(async () => { stop.abort(); await feed; instance.unmount() })

  const first = await untilFrame(instance, f => f.includes('· connected'))
  t.true(first.includes(`node …${node.info.peerId.slice(-12)}`))
  const key = createHash('sha256').update('tui-real-node').digest('hex')
  t.is((await fetch(`${node.info.cacheUrl}${key}`, { method: 'PUT', body: Buffer.alloc(2048, 7) })).status, 200)
  t.is((await fetch(`${node.info.cacheUrl}${key}`).then(async r => await r.arrayBuffer())).byteLength, 2048)
  const events = await untilFrame(instance, f => f.includes('cache hit'))
  t.regex(events, new RegExp(`cache put +${key.slice(0, 12)} 2048 B`))
  t.regex(events, new RegExp(`cache hit +${key.slice(0, 12)} from local`))
  instance.stdin.write('3')
  t.regex(await untilFrame(instance, f => f.includes('100%')), /hit rate +100% \(1 hits, 0 misses, 1 stored\)/)

  const plain = await runGmesh(t, ['top', '--data', node.dataDir, '--count', '2', '--interval', '100'])
  t.is(plain.code, 0, plain.stderr)
  t.is(plain.stdout.match(/^== gmesh top /gm)?.length, 2)
  t.regex(plain.stdout, /cache: 1 entries, 2\.0 KiB; hit rate 100% \(1\/1\)/)
  t.regex(plain.stdout, /jobs: none/)
})
