/**
 * `gmesh demo --distributed`: nodes on loopback that accept builds (one slot each, a private mesh of one swarm key), and
 * `gmesh build` of a fresh copy of an example project through node 1 with every cache empty: the
 * units run on several nodes, the final local build takes their work FROM-CACHE.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { distributedBuild, type DistributedBuildResult } from '../build/distributed-build.js'
import { gradleEnvironment } from '../gradle/runner.js'
import { NodeClient } from '../client/node-client.js'
import { spawnNode, type NodeProcess } from '../client/node-process.js'
import { demoJavaTmpDir, EXAMPLES_DIR, waitForMesh, type DemoOptions } from './demo.js'

export interface DistributedDemoReport {
  root: string
  nodes: Array<{ peerId: string, cacheUrl: string }>
  build: DistributedBuildResult
}

export interface DistributedDemoOptions extends Omit<DemoOptions, 'gradleArgs'> {
  tasks: string[]
  /** Writes a new swarm key file (`gmesh keygen`'s code, given by the CLI: src/ does not depend on node/). */
  writeSwarmKey: (file: string) => Promise<unknown>
}

export async function runDistributedDemo (options: DistributedDemoOptions): Promise<DistributedDemoReport> {
  const root = await mkdtemp(path.join(tmpdir(), 'gmesh-demo-'))
  const nodes: NodeProcess[] = []
  try {
    // nodes accept builds only in a private mesh (or from listed submitters): the demo's mesh has a key of its own
    const swarmKey = path.join(root, 'swarm.key')
    await options.writeSwarmKey(swarmKey)
    for (let i = 0; i < Math.max(2, options.nodes); i++) {
      options.signal?.throwIfAborted()
      const bootstrap = nodes[0]?.info.multiaddrs[0]
      const args = ['--accept-builds', '--slots', '1', '--swarm-key', swarmKey, ...(bootstrap == null ? [] : ['--bootstrap', bootstrap])]
      const node = await spawnNode({ dataDir: path.join(root, `node-${i + 1}`), args })
      nodes.push(node)
      options.say(`node ${i + 1} up, accepting builds (1 slot): ${node.info.peerId}`)
    }
    await waitForMesh(nodes, options.signal)
    options.say(`the ${nodes.length} nodes see each other`)
    const projectDir = path.join(root, 'project', options.example)
    await cp(path.join(EXAMPLES_DIR, options.example), projectDir, { recursive: true, filter: src => !/\/(build|\.gradle)$/.test(src) })
    options.say(`gmesh build -- ${options.tasks.join(' ')} through node 1 in ${projectDir}`)
    const first = nodes[0]!
    // the units' temp files go to their node's data dir; those of the probe and the final build, here
    const tmpDir = await demoJavaTmpDir(root)
    const gradleOpts = tmpDir == null ? undefined : gradleEnvironment({ tmpDir }).GRADLE_OPTS
    const build = await distributedBuild({
      client: await NodeClient.connect(first.dataDir, { timeoutMs: 120_000 }),
      cacheUrl: first.info.cacheUrl,
      projectDir,
      tasks: options.tasks,
      gradleUserHome: path.join(root, 'project', 'gradle-user-home'),
      noDaemon: true,
      ...(gradleOpts == null ? {} : { env: { GRADLE_OPTS: gradleOpts } }),
      progress: lines(options.say),
      ...(options.gradleOutput == null ? {} : { finalOutput: options.gradleOutput }),
      // the build keeps its Gradle's pid in its state: make that state the caller's `running`
      state: Object.assign(options.running ?? {}, { stage: 'probe' as const }),
      ...(options.signal == null ? {} : { signal: options.signal })
    })
    return { root, nodes: nodes.map(n => ({ peerId: n.info.peerId, cacheUrl: n.info.cacheUrl })), build }
  } finally {
    await Promise.all(nodes.map(async n => await n.stop()))
    if (!options.keep) await rm(root, { recursive: true, force: true })
  }
}

/** A stream whose lines go to `say` (without gmesh build's own "gmesh: " prefix). */
function lines (say: (line: string) => void): Writable {
  return new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') say(line.replace(/^gmesh: /, ''))
      done()
    }
  })
}
