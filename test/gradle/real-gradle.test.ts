import test from 'ava'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Writable } from 'node:stream'
import { renderInitScript } from '../../src/gradle/init-script.js'
import { installInitScript } from '../../src/gradle/install-init-script.js'
import { runGradle } from '../../src/gradle/runner.js'
import { copyExample, JAVA_MULTI_CACHEABLE_TASKS, GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'

/** The smallest server speaking Gradle's HTTP build cache protocol: entries in a Map. */
async function startMapCache (): Promise<{ url: string, entries: Map<string, Buffer>, requests: string[], close: () => Promise<void> }> {
  const entries = new Map<string, Buffer>()
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const key = /^\/cache\/([0-9a-f]{32,128})$/.exec(req.url ?? '')?.[1]
      if (key == null) { res.writeHead(400).end(); return }
      if (req.method === 'PUT') {
        entries.set(key, Buffer.concat(chunks))
        requests.push(`PUT ${key}`)
        res.writeHead(200).end()
        return
      }
      const body = entries.get(key)
      requests.push(`${req.method ?? ''} ${key} ${body == null ? 'miss' : 'hit'}`)
      if (body == null) res.writeHead(404).end()
      else res.writeHead(200, { 'content-length': body.length }).end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/cache/`,
    entries,
    requests,
    close: async () => { await new Promise(resolve => server.close(resolve)) }
  }
}

function fromCachePaths (tasks: ReadonlyArray<{ path: string, outcome: string }>): string[] {
  return tasks.filter(task => task.outcome === 'FROM-CACHE').map(task => task.path).sort()
}

test.serial('real Gradle 4.4: the installed init script alone enables and fills the HTTP cache; a clean build elsewhere with -I is served from it', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'two real Gradle builds on a shared 2-core machine')
  const cache = await startMapCache()
  const project = await copyExample('java-multi')
  t.teardown(async () => { await cache.close(); await project.cleanup() })
  const initScript = renderInitScript({ cacheUrl: cache.url })
  const common = { projectDir: project.projectDir, noDaemon: true, tmpDir: project.javaTmpDir, stdout: null, stderr: null }

  // As after `gmesh init-gradle`: the script sits in init.d and no --build-cache flag is given.
  await installInitScript(project.gradleUserHome, initScript)
  const first = await runGradle({ ...common, args: ['build'], gradleUserHome: project.gradleUserHome, buildCache: false })
  t.false(first.command.includes('--build-cache'))
  t.is(first.exitCode, 0, first.command.join(' '))
  t.is(first.summary.result, 'success')
  t.is(first.summary.actionable?.fromCache, 0)
  t.is(cache.entries.size, JAVA_MULTI_CACHEABLE_TASKS.length, 'one entry per cacheable task')
  t.is(cache.requests.filter(r => r.startsWith('PUT')).length, JAVA_MULTI_CACHEABLE_TASKS.length)

  // As `gmesh gradle` does: the script passed with -I, into a second Gradle user home whose local
  // cache is empty, so every hit must come from the HTTP cache.
  const second = await runGradle({ ...common, initScript, args: ['clean', 'build'], gradleUserHome: path.join(project.scratchDir, 'second-home') })
  t.is(second.command[1], '-I')
  t.is(second.exitCode, 0)
  t.deepEqual(fromCachePaths(second.summary.tasks), JAVA_MULTI_CACHEABLE_TASKS)
  t.is(second.summary.actionable?.fromCache, JAVA_MULTI_CACHEABLE_TASKS.length)
  t.is(cache.requests.filter(r => r.endsWith(' hit')).length, JAVA_MULTI_CACHEABLE_TASKS.length)
})

test.serial('aborting a build kills Gradle\'s whole process group', async t => {
  const project = await copyExample('java-multi')
  t.teardown(project.cleanup)
  const controller = new AbortController()
  const result = await runGradle({
    projectDir: project.projectDir,
    args: ['build'],
    gradleUserHome: project.gradleUserHome,
    noDaemon: true,
    tmpDir: project.javaTmpDir,
    signal: controller.signal,
    // Abort as soon as Gradle prints its first line of output.
    stdout: new Writable({ write (_chunk, _encoding, done) { controller.abort(); done() } }),
    stderr: null
  })
  t.true(result.aborted)
  t.not(result.exitCode, 0)
  t.truthy(result.pid)
  t.throws(() => process.kill(-(result.pid ?? 0), 0), { code: 'ESRCH' }, 'no process of the group is left')
})
