import { Writable } from 'node:stream'
import { renderInitScript } from '../../src/gradle/init-script.js'
import { runGradle, type GradleRunResult } from '../../src/gradle/runner.js'

/** Gradle ignores the local directory cache in every build that carries this, so hits must come from the remote. */
export const LOCAL_CACHE_OFF = `
// gmesh bench: the remote cache alone serves this build.
gradle.settingsEvaluated { settings ->
    settings.buildCache {
        local { enabled = false }
    }
}
`

/** One way of building: with no cache, with Gradle's local directory cache, or with a remote HTTP cache. */
export interface BuildVariant {
  name: string
  /** Task arguments after `clean build` is settled: the cold build adds --no-build-cache. */
  args: string[]
  initScript?: string
  buildCache: boolean
}

export function coldVariant (): BuildVariant {
  return { name: 'cold build (no cache)', args: ['clean', 'build', '--no-build-cache'], buildCache: false }
}

export function localVariant (): BuildVariant {
  return { name: 'local directory cache', args: ['clean', 'build'], buildCache: true }
}

export function remoteVariant (name: string, cacheUrl: string): BuildVariant {
  return { name, args: ['clean', 'build'], initScript: renderInitScript({ cacheUrl, push: true }) + LOCAL_CACHE_OFF, buildCache: true }
}

export class BuildFailedError extends Error {
  override name = 'BuildFailedError'
}

/** Keeps the last `limit` characters written to it: Gradle's output tail for error messages. */
class Tail extends Writable {
  text = ''
  constructor (private readonly limit = 6000) { super() }
  override _write (chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit)
    done()
  }
}

export interface BuildContext {
  projectDir: string
  gradleUserHome: string
  gradle: string
  signal: AbortSignal
}

/** Runs one build of the variant with the shared daemon; throws with Gradle's output tail when it fails. */
export async function buildOnce (ctx: BuildContext, variant: BuildVariant): Promise<GradleRunResult> {
  const out = new Tail()
  const result = await runGradle({
    projectDir: ctx.projectDir,
    args: variant.args,
    initScript: variant.initScript,
    gradleUserHome: ctx.gradleUserHome,
    gradleExecutable: ctx.gradle,
    noDaemon: false,
    buildCache: variant.buildCache,
    signal: ctx.signal,
    stdout: out,
    stderr: out
  })
  if (result.exitCode !== 0 || result.summary.result !== 'success') {
    throw new BuildFailedError(`${variant.name}: gradle exited ${result.exitCode}\n${out.text}`)
  }
  return result
}

/** "15/25": tasks answered from the cache out of the tasks with actions, from Gradle's own summary line. */
export function fromCacheText (r: GradleRunResult): string {
  const a = r.summary.actionable
  return a != null ? `${a.fromCache}/${a.total}` : `${r.summary.counts.fromCache}/?`
}
