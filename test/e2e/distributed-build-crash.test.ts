import test, { type ExecutionContext } from 'ava'
import { NodeClient } from '../../src/client/node-client.js'
import type { NodeProcess } from '../helpers/gmesh-node.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'
import { awaitStatus } from '../node/mesh/helpers.js'
import { gmeshBuild, killLeftoverUnits, startFarm, unitProcessFiles, type JobsStatus } from './distributed/helpers.js'

type Victim = 'worker' | 'leader'

/** How long the workers may take to start leading once the build is submitted (a bound, not a wait). */
const LEADER_BOUND_MS = 60_000

/**
 * Resolves to the worker that started leading the job's term 1, as its own event stream says (the `leading` event).
 * Each stream is read from the node's first buffered event (`after: 0`), so the event cannot come before the
 * subscription; rejects if neither worker leads within LEADER_BOUND_MS.
 */
async function firstLeader (workers: NodeProcess[]): Promise<string> {
  const done = new AbortController()
  const signal = AbortSignal.any([done.signal, AbortSignal.timeout(LEADER_BOUND_MS)])
  const leads = async (worker: NodeProcess): Promise<string> => {
    const client = await NodeClient.connect(worker.dataDir)
    for await (const event of client.subscribe({ signal, after: 0 })) {
      if (event.type === 'leading' && event.term === 1) return worker.info.peerId
    }
    throw new Error(`${worker.info.peerId} did not lead term 1`)
  }
  try {
    return await Promise.any(workers.map(leads))
  } catch (err) {
    const why = (err as AggregateError).errors.map(e => (e as Error).message).join('; ')
    throw new Error(`no worker started leading term 1 within ${LEADER_BOUND_MS / 1000} s (${why})`)
  } finally {
    done.abort()
  }
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
  const leading = firstLeader([b, c])
  const build = gmeshBuild(t, a, copy)
  const leader = await leading
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
