import test from 'ava'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'
import { awaitPeers, bootstrapAddress, startMeshNode } from '../node/mesh/helpers.js'
import { gmeshBuild } from './distributed/helpers.js'

test('gmesh build in a mesh where no node accepts builds ends without the wait for bidders, saying so and what to do', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'a Gradle task-graph probe on a shared 2-core machine')
  const a = await startMeshNode(t)
  const b = await startMeshNode(t, ['--bootstrap', bootstrapAddress(a)])
  await awaitPeers(a, [b.info.peerId])
  const copy = await copyExample('java-multi')
  t.teardown(copy.cleanup)

  const run = await gmeshBuild(t, a, copy)
  t.is(run.code, 1, run.stderr)
  const { job, final } = run.json!
  t.is(job.state, 'failed')
  t.is(final, undefined)
  t.deepEqual(job.terms, [], 'no term was granted')
  // this reason, not the one of the 60 s wait for bidders ("no live node that accepts builds answered for 60 s")
  t.is(job.error, 'no node accepts builds: none of the 2 live members of the mesh (this node included) offers build slots; start one with gmesh up --accept-builds (in a mesh with --swarm-key, or with --trust-submitters)')
})
