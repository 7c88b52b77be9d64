import test, { type ExecutionContext } from 'ava'
import { NodeClient } from '../../src/client/node-client.js'
import type { JobInfo } from '../../src/client/api-types.js'
import type { NodeProcess } from '../helpers/gmesh-node.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'
import { awaitStatus } from '../node/mesh/helpers.js'
import { gmeshBuild, killLeftoverUnits, startFarm, unitProcessFiles, type JobsStatus } from './distributed/helpers.js'

type Victim = 'worker' | 'leader'

/** Resolves to the job's leader once the submitter has granted term 1. */
async function firstLeader (submitter: NodeProcess): Promise<string> {
  const client = await NodeClient.connect(submitter.dataDir)
  for (let i = 0; i < 600; i++) {
    const job: JobInfo | undefined = (await client.jobs())[0]
    if (job?.leader != null) return job.leader
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error('no leader was granted within 60 s')
}

/**
 * The submitter A offers no slots; workers B and C one each (one of them leads). Once the victim
 * runs Gradle for a unit it gets SIGKILL, and that Gradle is killed by the pid the node recorded.
 */
async function buildWhileKilling (t: ExecutionContext, victimRole: Victim): Promise<void> {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'real Gradle builds on a shared 2-core machine, with a failover')
  const [a, b, c] = await startFarm(t, [0, 1, 1]) as [NodeProcess, NodeProcess, NodeProcess]
  const copy = await copyExample('java-multi')
  t.teardown(copy.cleanup)
  const build = gmeshBuild(t, a, copy)
  const leader = await firstLeader(a)
  const victim = [b, c].find(n => (n.info.peerId === leader) === (victimRole === 'leader'))!
  await awaitStatus(victim, `the ${victimRole} runs Gradle for a unit`, status =>
    (status as unknown as { jobs: JobsStatus }).jobs.worker.running > 0 && unitProcessFiles(victim).length > 0, { withinMs: 120_000, tries: 1000 })
  await victim.kill()
  t.is(await killLeftoverUnits(victim), 1, 'the killed node left its unit\'s Gradle behind, which the test stops by pid')

  const run = await build
  t.is(run.code, 0, run.stderr)
  const { job, final } = run.json!
  t.is(job.state, 'done')
  t.is(final?.exitCode, 0)
  t.true(job.lostPeers.includes(victim.info.peerId), 'the summary names the node lost mid-job')
  const survivor = [b, c].find(n => n !== victim)!
  t.true(job.units.every(u => u.result?.worker !== victim.info.peerId || u.result.outcome === 'success'))
  t.true(job.units.some(u => u.result?.worker === survivor.info.peerId), 'the survivor took over the work')
  if (victimRole === 'leader') {
    t.deepEqual(job.terms.map(term => [term.term, term.leader]), [[1, victim.info.peerId], [2, survivor.info.peerId]], 'a new term went to the survivor')
  }
}

test.serial('kill -9 of a worker mid-unit: its unit runs again elsewhere and the build completes correctly', async t => {
  await buildWhileKilling(t, 'worker')
})

test.serial('kill -9 of the leader mid-job: the submitter grants term 2 to the other node and the build completes correctly', async t => {
  await buildWhileKilling(t, 'leader')
})
