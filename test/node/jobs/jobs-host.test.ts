import test, { type ExecutionContext } from 'ava'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { NodeClient } from '../../../src/client/node-client.js'
import { NodeApiError } from '../../../src/client/errors.js'
import { removeDataDir, startNode } from '../../helpers/gmesh-node.js'

const unit = (id: string, dependsOn: string[]): { id: string, name: string, project: string, tasks: string[], run: string[], exclude: string[], testFilters: string[], dependsOn: string[] } =>
  ({ id, name: id, project: `:${id}`, tasks: [`:${id}:build`], run: [`:${id}:build`], exclude: [], testFilters: [], dependsOn })

/** A running node, a client of it, and an empty Gradle project to submit jobs from; all removed after the test. */
async function nodeAndEmptyProject (t: ExecutionContext, prefix: string): Promise<{ project: string, client: NodeClient }> {
  const node = await startNode()
  t.teardown(async () => { await removeDataDir(node) })
  const project = await mkdtemp(path.join(tmpdir(), prefix))
  t.teardown(async () => { await rm(project, { recursive: true, force: true }) })
  await writeFile(path.join(project, 'build.gradle'), '')
  return { project, client: await NodeClient.connect(node.dataDir) }
}

test('a job whose units form a cycle is refused with the reason, and nothing is left tracked as running', async t => {
  const { project, client } = await nodeAndEmptyProject(t, 'gmesh-cycle-')
  const refused = await t.throwsAsync(client.submitJob({ projectDir: project, requested: ['build'], units: [unit('a', ['b']), unit('b', ['a'])] }), { instanceOf: NodeApiError })
  t.is(refused?.status, 400)
  t.regex(refused?.message ?? '', /cycle/)
  t.deepEqual(await client.jobs(), [], 'no job stays "running" forever')
})

test('a job too large to hand to a leader is refused with the reason before a snapshot is taken, and nothing is left tracked', async t => {
  const { project, client } = await nodeAndEmptyProject(t, 'gmesh-huge-')
  // 2,000 modules of two units each, with long task names: well within the unit limit, but a grant of them is over 1 MiB
  const units = Array.from({ length: 4000 }, (_, i) => {
    const project = `:services:${'module-with-a-rather-long-name'.repeat(2)}-${Math.floor(i / 2)}`
    const u = unit(`u${i}`, i > 0 ? [`u${i - 1}`] : [])
    return { ...u, name: `${project}:${i % 2 === 0 ? 'jar' : 'test'}`, project, tasks: [`${project}:jar`], run: [`${project}:jar`, `${project}:javadoc`] }
  })
  const refused = await t.throwsAsync(client.submitJob({ projectDir: project, requested: ['build'], units }), { instanceOf: NodeApiError })
  t.is(refused?.status, 400)
  t.regex(refused?.message ?? '', /too large to hand to a leader: its grant would take \d+ bytes/)
  t.deepEqual(await client.jobs(), [])
})

test('a directory with no settings file or build script at its root is refused with a 400 naming it, before a job starts', async t => {
  const { project, client } = await nodeAndEmptyProject(t, 'gmesh-nobuild-')
  await rm(path.join(project, 'build.gradle'))
  await writeFile(path.join(project, 'Main.java'), 'class Main {}\n')
  const refused = await t.throwsAsync(client.submitJob({ projectDir: project, requested: ['build'], units: [unit('a', [])] }), { instanceOf: NodeApiError })
  t.is(refused?.status, 400)
  t.is(refused?.message, `cannot start the build: ${JSON.stringify(project)} has no settings.gradle(.kts) or build.gradle(.kts) at its root: snapshot the root directory of a Gradle build`)
  t.deepEqual(await client.jobs(), [])
})
