import test from 'ava'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { renderInitScript } from '../../src/gradle/init-script.js'
import { installInitScript } from '../../src/gradle/install-init-script.js'
import { runGradle } from '../../src/gradle/runner.js'
import { GRADLE_TEST_TIMEOUT_MS } from '../helpers/gradle-project.js'

/** An HTTP build cache that misses every GET, accepts every PUT and notes each request with its Authorization header. */
async function recordingCache (): Promise<{ url: string, requests: Array<{ method: string, authorization: string | undefined }>, close: () => Promise<void> }> {
  const requests: Array<{ method: string, authorization: string | undefined }> = []
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', authorization: req.headers.authorization })
    req.resume()
    req.on('end', () => { res.writeHead(req.method === 'PUT' ? 200 : 404).end() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/cache/`,
    requests,
    close: async () => { await new Promise(resolve => server.close(resolve)) }
  }
}

/** A one-class Java project whose settings.gradle points the remote cache at the team's server, with credentials. */
async function projectWithOwnRemote (teamUrl: string): Promise<{ root: string, projectDir: string, gradleUserHome: string, javaTmpDir: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-own-remote-'))
  const projectDir = path.join(root, 'project')
  await mkdir(path.join(projectDir, 'src/main/java/team'), { recursive: true })
  await writeFile(path.join(projectDir, 'settings.gradle'), [
    "rootProject.name = 'own-remote'",
    'buildCache {',
    '    remote(HttpBuildCache) {',
    `        url = '${teamUrl}'`,
    '        push = true',
    "        credentials { username = 'teamuser'; password = 'teamsecret' }",
    '    }',
    '}',
    ''
  ].join('\n'))
  await writeFile(path.join(projectDir, 'build.gradle'), "apply plugin: 'java'\n")
  await writeFile(path.join(projectDir, 'src/main/java/team/Hello.java'), 'package team;\npublic class Hello {}\n')
  // Gradle's JVMs keep their temp files in the test's dir, removed with it
  const javaTmpDir = path.join(root, 'java-tmp')
  await mkdir(javaTmpDir)
  return { root, projectDir, gradleUserHome: path.join(root, 'gradle-user-home'), javaTmpDir }
}

function collect (): { stream: Writable, text: () => string } {
  let text = ''
  return { stream: new Writable({ write (chunk, _encoding, done) { text += String(chunk); done() } }), text: () => text }
}

const TEAM_AUTH = `Basic ${Buffer.from('teamuser:teamsecret').toString('base64')}`

test.serial('real Gradle 4.4: the installed script leaves a remote cache the project configured alone and says so once', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'a real Gradle build on a shared 2-core machine')
  const team = await recordingCache()
  const node = await recordingCache()
  const project = await projectWithOwnRemote(team.url)
  t.teardown(async () => { await team.close(); await node.close(); await rm(project.root, { recursive: true, force: true }) })
  await installInitScript(project.gradleUserHome, renderInitScript({ cacheUrl: node.url, installed: true }))
  const output = collect()

  const result = await runGradle({ projectDir: project.projectDir, gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, noDaemon: true, buildCache: false, args: ['compileJava'], stdout: output.stream, stderr: null })
  t.is(result.exitCode, 0, output.text())
  t.deepEqual(node.requests, [], 'the node is not asked: the project chose its own cache')
  t.true(team.requests.length > 0, 'the project\'s own cache is used as it configured it')
  t.true(team.requests.every(r => r.authorization === TEAM_AUTH), 'with its credentials, to its own server')
  t.is(output.text().split(`gmesh: this build configures its own remote build cache (${team.url})`).length - 1, 1, output.text())
})

test.serial('real Gradle 4.4: gmesh gradle\'s script uses the node\'s cache instead and never sends the project\'s credentials to it', async t => {
  t.timeout(GRADLE_TEST_TIMEOUT_MS, 'a real Gradle build on a shared 2-core machine')
  const team = await recordingCache()
  const node = await recordingCache()
  const project = await projectWithOwnRemote(team.url)
  t.teardown(async () => { await team.close(); await node.close(); await rm(project.root, { recursive: true, force: true }) })
  const output = collect()

  const result = await runGradle({ projectDir: project.projectDir, gradleUserHome: project.gradleUserHome, tmpDir: project.javaTmpDir, noDaemon: true, initScript: renderInitScript({ cacheUrl: node.url, enableBuildCache: false }), args: ['compileJava', '--info'], stdout: output.stream, stderr: null })
  t.is(result.exitCode, 0, output.text())
  t.deepEqual(team.requests, [], 'the project\'s own cache is not used')
  t.deepEqual(node.requests.map(r => r.method), ['GET', 'PUT'], 'compileJava looked up and stored at the node')
  t.true(node.requests.every(r => r.authorization === undefined), 'no Authorization header reaches the node')
  t.notRegex(output.text(), /authenticated = true/)
  t.is(output.text().split(`instead of its own remote build cache (${team.url}); credentials set for that one are not sent`).length - 1, 1, output.text())
})
