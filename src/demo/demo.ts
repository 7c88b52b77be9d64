import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Writable } from 'node:stream'
import { setTimeout } from 'node:timers/promises'
import { spawnNode, type NodeProcess } from '../client/node-process.js'
import { NodeClient } from '../client/node-client.js'
import { renderInitScript } from '../gradle/init-script.js'
import { runGradle, tmpDirOption, UnquotableTmpDirError, type GradleRunResult } from '../gradle/runner.js'

/** The example projects shipped with gmesh. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url))

export interface DemoOptions {
  example: string
  nodes: number
  gradleArgs: string[]
  keep: boolean
  /** Progress lines for the person watching. */
  say: (line: string) => void
  /** Gradle's own output; null to hide it. */
  gradleOutput: Writable | null
  /** Stops the demo: the Gradle running is stopped, the nodes too, and the call throws the abort reason. */
  signal?: AbortSignal
  /** Where the demo keeps the pid of the Gradle running now, for a forced exit to kill its process group. */
  running?: RunningGradle
}

/**
 * `<root>/java-tmp`, made, as the java.io.tmpdir of the demo's Gradle JVMs: Gradle 4.x leaves a classpath file there
 * for every test JVM and never removes it, so in /tmp every demo would leave some for good; the demo's root goes
 * with them. Undefined (the JVM's default) when Gradle's launch scripts cannot be given the path.
 */
export async function demoJavaTmpDir (root: string): Promise<string | undefined> {
  const dir = path.join(root, 'java-tmp')
  try {
    tmpDirOption(dir)
  } catch (err) {
    if (err instanceof UnquotableTmpDirError) return undefined
    throw err
  }
  await mkdir(dir)
  return dir
}

/** The Gradle a command runs now, if any (a `BuildState` is one too). */
export interface RunningGradle { gradlePid?: number }

export interface DemoBuild {
  label: string
  node: number
  result: GradleRunResult
  /** The node's store after the build: entries, bytes, and its own lookups (a GET served from a peer fetch is a store miss). */
  cache: Record<string, number>
  /** The node's answers to Gradle after the build: GETs answered 200 (`hits`) or 404 (`misses`), PUTs stored. */
  http: Record<string, number>
  sharing?: Record<string, unknown>
}

export interface DemoReport {
  root: string
  nodes: Array<{ peerId: string, cacheUrl: string }>
  builds: DemoBuild[]
}

/**
 * The README's main job: nodes on loopback, a first build of an example project through node 1
 * (it fills the cache), then a clean copy of the project built through the last node: its
 * cacheable tasks come FROM-CACHE.
 */
export async function runDemo (options: DemoOptions): Promise<DemoReport> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-demo-'))
  const nodes: NodeProcess[] = []
  try {
    for (let i = 0; i < options.nodes; i++) {
      options.signal?.throwIfAborted()
      const bootstrap = nodes[0]?.info.multiaddrs[0]
      const node = await spawnNode({ dataDir: path.join(root, `node-${i + 1}`), args: bootstrap == null ? [] : ['--bootstrap', bootstrap] })
      nodes.push(node)
      options.say(`node ${i + 1} up: ${node.info.peerId} serving ${node.info.cacheUrl}`)
    }
    if (nodes.length > 1) {
      await waitForMesh(nodes, options.signal)
      options.say(`the ${nodes.length} nodes see each other`)
    }
    const builds: DemoBuild[] = []
    const tmpDir = await demoJavaTmpDir(root)
    const plan = [{ label: 'first build (cold cache)', node: 0 }, { label: 'clean build of a fresh copy', node: nodes.length - 1 }]
    for (const [i, step] of plan.entries()) {
      const projectDir = path.join(root, `project-${i + 1}`, options.example)
      await cp(path.join(EXAMPLES_DIR, options.example), projectDir, { recursive: true, filter: src => !/\/(build|\.gradle)$/.test(src) })
      options.say(`${step.label}: gradle ${options.gradleArgs.join(' ')} through node ${step.node + 1} in ${projectDir}`)
      // Each build gets its own Gradle user home, as on another machine: Gradle's local cache there is empty.
      builds.push(await demoBuild(step, nodes[step.node]!, projectDir, path.join(root, `project-${i + 1}`, 'gradle-user-home'), tmpDir, options))
      options.signal?.throwIfAborted()
    }
    return { root, nodes: nodes.map(n => ({ peerId: n.info.peerId, cacheUrl: n.info.cacheUrl })), builds }
  } finally {
    await Promise.all(nodes.map(async n => await n.stop()))
    if (!options.keep) await rm(root, { recursive: true, force: true })
  }
}

/** Resolves once every node sees all the others as live members (bounded: 30 s). */
export async function waitForMesh (nodes: NodeProcess[], signal?: AbortSignal): Promise<void> {
  const clients = await Promise.all(nodes.map(async n => await NodeClient.connect(n.dataDir)))
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    signal?.throwIfAborted()
    const counts = await Promise.all(clients.map(async c => ((await c.status()).peers as unknown[]).length))
    if (counts.every(count => count >= nodes.length - 1)) return
    await setTimeout(200)
  }
  throw new Error('the nodes did not find each other within 30 s')
}

async function demoBuild (step: { label: string, node: number }, node: NodeProcess, projectDir: string,
  gradleUserHome: string, tmpDir: string | undefined, options: DemoOptions): Promise<DemoBuild> {
  const result = await runGradle({
    projectDir,
    args: options.gradleArgs,
    initScript: renderInitScript({ cacheUrl: node.info.cacheUrl, push: true }),
    gradleUserHome,
    noDaemon: true,
    ...(tmpDir == null ? {} : { tmpDir }),
    stdout: options.gradleOutput,
    stderr: options.gradleOutput,
    onSpawn: pid => { if (options.running != null) options.running.gradlePid = pid },
    ...(options.signal == null ? {} : { signal: options.signal })
  }).finally(() => { delete options.running?.gradlePid })
  const status = await (await NodeClient.connect(node.dataDir)).status()
  return { ...step, result, cache: status.cache as Record<string, number>, http: status.http as Record<string, number>, sharing: status.sharing as Record<string, unknown> }
}
