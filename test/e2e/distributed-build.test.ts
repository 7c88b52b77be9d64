import test from 'ava'
import { appendFile } from 'node:fs/promises'
import path from 'node:path'
import { runGradle } from '../../src/gradle/runner.js'
import { copyExample, GRADLE_TEST_TIMEOUT_MS, JAVA_MULTI_CACHEABLE_TASKS } from '../helpers/gradle-project.js'
import { gradleTempFilesOf, JAVA_TMPDIR } from '../helpers/gradle-temp-files.js'
import { awaitStatus, meshStatus } from '../node/mesh/helpers.js'
import { classFiles, gmeshBuild, startFarm, unitProcessFiles, type JobsStatus } from './distributed/helpers.js'

test.serial('three nodes build java-multi: units on two nodes or more, the final build all FROM-CACHE, the same classes as a plain build', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'a distributed and a plain Gradle build on a shared 2-core machine')
  const [a, b, c] = await startFarm(t, [1, 1, 1])
  const meshCopy = await copyExample('java-multi')
  const plainCopy = await copyExample('java-multi')
  t.teardown(async () => { await Promise.all([meshCopy.cleanup(), plainCopy.cleanup()]) })

  const since = Date.now() - 1000 // file times lag the clock by a few ms
  const run = await gmeshBuild(t, a!, meshCopy)
  t.is(run.code, 0, run.stderr)
  const { job, final } = run.json!
  t.is(job.state, 'done')
  const workers = new Set(job.units.map(u => u.result?.worker))
  t.log(`units: ${job.units.map(u => `${u.name}@${u.result?.worker.slice(-6)}`).join(' ')}`)
  t.true(workers.size >= 2, 'units ran on at least two nodes')
  t.true([...workers].every(w => [a, b, c].some(n => n!.info.peerId === w)))
  // one term normally; a node starved of CPU for the lease (2.5 s) on this shared 2-core machine is rightly
  // replaced by a later term, and the job must still come out right (elections themselves: the simulator's tests)
  t.log(`terms: ${job.terms.map(term => `${term.term}@${term.leader.slice(-6)}+${term.atMs}ms`).join(' ')}`)
  t.deepEqual(job.terms.map(term => term.term), job.terms.map((_, i) => i + 1), 'terms granted one after another from 1')
  const fromCache = final!.tasks.filter(task => task.outcome === 'FROM-CACHE').map(task => task.path).sort()
  t.deepEqual(fromCache, JAVA_MULTI_CACHEABLE_TASKS, 'every cacheable task of the final build came from the mesh cache')

  // The units' test JVMs were started from classpath files in their node's <data>/builds/tmp, which names its workspaces.
  t.deepEqual(await gradleTempFilesOf(JAVA_TMPDIR, since, [a, b, c].map(node => node!.dataDir)), [], 'no unit left a temp file in /tmp')

  const plain = await runGradle({ projectDir: plainCopy.projectDir, args: ['build'], gradleUserHome: plainCopy.gradleUserHome, tmpDir: plainCopy.javaTmpDir, noDaemon: true, buildCache: false, stdout: null, stderr: null })
  t.is(plain.exitCode, 0)
  const meshClasses = await classFiles(meshCopy.projectDir)
  t.true(meshClasses.size >= 10)
  t.deepEqual(meshClasses, await classFiles(plainCopy.projectDir), 'byte-identical classes')

  const submitted = (await meshStatus(a!) as unknown as { jobs: { submitted: Array<{ id: string, state: string }> } }).jobs.submitted
  t.deepEqual(submitted.map(j => [j.id, j.state]), [[job.id, 'done']], 'the submitter\'s status shows the job')
})

test.serial('a compile error in one module fails the build once, with the compiler\'s message, and leaves no unit running', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'real Gradle builds on a shared 2-core machine')
  const nodes = await startFarm(t, [1, 1, 1])
  const copy = await copyExample('java-multi')
  t.teardown(copy.cleanup)
  await appendFile(path.join(copy.projectDir, 'money', 'src', 'main', 'java', 'example', 'money', 'Money.java'), '\nclass Broken { int x = }\n')

  const run = await gmeshBuild(t, nodes[0]!, copy)
  t.is(run.code, 1)
  const { job, final } = run.json!
  t.is(job.state, 'failed')
  t.is(final, undefined, 'no final build after a failed job')
  t.regex(job.error ?? '', /:money:compileJava/)
  t.regex(job.error ?? '', /Money\.java:\d+: error:/)
  t.is(job.units.filter(u => u.result != null && u.result.outcome !== 'success').length, 1, 'one failure reported')
  for (const node of nodes) {
    await awaitStatus(node, 'no unit left running or queued, no Gradle of a unit alive', status => {
      const jobs = (status as unknown as { jobs: JobsStatus }).jobs
      return jobs.worker.running === 0 && jobs.worker.queued === 0 && unitProcessFiles(node).length === 0
    })
    t.deepEqual(unitProcessFiles(node), [], 'no Gradle of a unit left behind')
  }
})
