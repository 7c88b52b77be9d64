// A provider process for provider-crash.test.ts: holds and announces one 4 MiB entry, serves its first 512 KiB and
// then waits (as if its disk were slow) until the test kills it. Prints `ready <peer id>` once it announced the entry.
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { startBentNode, holdAndAnnounce } from '../../e2e/in-process-node.js'

const [bootstrap, key] = process.argv.slice(2)
if (bootstrap === undefined || key === undefined) throw new Error('usage: provider-crash-child BOOTSTRAP KEY')
const node = await startBentNode(bootstrap, 'gmesh-crash-provider-', (_key, entry) => {
  entry.body.destroy()
  const body = Readable.from((async function * () {
    yield Buffer.alloc(512 * 1024)
    await new Promise(() => {})
  })())
  return { meta: entry.meta, body }
})
await holdAndAnnounce(node, key, randomBytes(4 * 1024 * 1024))
console.log(`ready ${node.mesh.peerId}`)
