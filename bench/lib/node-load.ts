import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { LoadGenerator, LoadResult, LoadSpec } from './load.js'

/** Fallback when wrk is missing: keep-alive http.Agent in a worker thread, so the harness's own loop stays idle. */
export class NodeLoadGenerator implements LoadGenerator {
  readonly name = 'node http.Agent keep-alive, 1 worker thread'

  async run (spec: LoadSpec, signal?: AbortSignal): Promise<LoadResult> {
    const worker = new Worker(new URL('./node-load-worker.js', import.meta.url), { workerData: spec })
    const onAbort = (): void => { void worker.terminate() }
    signal?.addEventListener('abort', onAbort)
    try {
      const [result] = await Promise.race([
        once(worker, 'message') as Promise<[LoadResult]>,
        once(worker, 'exit').then(([code]) => { throw new Error(`load worker exited (${String(code)}) without a result`) })
      ])
      return result
    } finally {
      signal?.removeEventListener('abort', onAbort)
      await worker.terminate()
    }
  }
}
