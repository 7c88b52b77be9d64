/** A data dir naming a node, a project and a Gradle user home in one temp dir, for the tests of gmesh gradle. */
import type { ExecutionContext } from 'ava'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface Sandbox { root: string, dataDir: string, gradleHome: string, project: string }

/** A data dir whose node.json names a live pid (this test process) and a cache URL. */
export async function sandbox (t: ExecutionContext, pid = process.pid): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-cli-gradle-'))
  t.teardown(async () => { await rm(root, { recursive: true, force: true }) })
  const dataDir = path.join(root, 'data')
  await mkdir(dataDir)
  await writeFile(path.join(dataDir, 'node.json'), JSON.stringify({
    peerId: '12D3KooWTest', multiaddrs: [], httpUrl: 'http://127.0.0.1:45999', cacheUrl: 'http://127.0.0.1:45999/cache/', pid
  }))
  return { root, dataDir, gradleHome: path.join(root, 'gradle-home'), project: path.join(root, 'project') }
}

/**
 * A stand-in ./gradlew that records its arguments and the init script it was given,
 * then exits with `exitCode`.
 */
export async function fakeWrapper (project: string, exitCode: number): Promise<void> {
  await mkdir(project, { recursive: true })
  await writeFile(path.join(project, 'settings.gradle'), '')
  const script = [
    '#!/bin/sh',
    'printf "%s\\n" "$@" > args.txt',
    'echo "$2" > init-script-path.txt',
    'cp "$2" init-script.txt',
    'echo ":app:compileJava FROM-CACHE"',
    'echo "1 actionable task: 1 from cache"',
    `exit ${exitCode}`
  ].join('\n')
  await writeFile(path.join(project, 'gradlew'), script)
  await chmod(path.join(project, 'gradlew'), 0o755)
}
