import test from 'ava'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { NodeClient } from '../../../src/client/node-client.js'
import { NodeApiError } from '../../../src/client/errors.js'
import { removeDataDir, startNode } from '../../helpers/gmesh-node.js'

const unit = (id: string, dependsOn: string[]): { id: string, name: string, project: string, tasks: string[], run: string[], exclude: string[], testFilters: string[], dependsOn: string[] } =>
  ({ id, name: id, project: `:${id}`, tasks: [`:${id}:build`], run: [`:${id}:build`], exclude: [], testFilters: [], dependsOn })

test('a job whose units form a cycle is refused with the reason, and nothing is left tracked as running', async t => {
  const node = await startNode()
  t.teardown(async () => { await removeDataDir(node) })
  const project = await mkdtemp(path.join(tmpdir(), 'gmesh-cycle-'))
  t.teardown(async () => { await rm(project, { recursive: true, force: true }) })
  await writeFile(path.join(project, 'build.gradle'), '')
  const client = await NodeClient.connect(node.dataDir)
  const refused = await t.throwsAsync(client.submitJob({ projectDir: project, requested: ['build'], units: [unit('a', ['b']), unit('b', ['a'])] }), { instanceOf: NodeApiError })
  t.is(refused?.status, 400)
  t.regex(refused?.message ?? '', /cycle/)
  t.deepEqual(await client.jobs(), [], 'no job stays "running" forever')
})
