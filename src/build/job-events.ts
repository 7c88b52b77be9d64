/**
 * The node's event stream while `gmesh build` waits for its job, fed to BuildProgress. It is opened before the job is
 * submitted and the submission waits (briefly) until the node has it open, so even the job's first events are in it;
 * the stream resumes by itself after a drop (`Last-Event-ID`). A node that refuses it (an older node without the
 * stream, 4xx) costs one line and nothing else: the build goes on from the job's reports.
 */
import type { NodeClient } from '../client/node-client.js'
import type { BuildProgress } from './build-progress.js'

/** How long a submission waits for the stream to open: a node that answers the API opens it in milliseconds. */
export const STREAM_OPEN_WAIT_MS = 2000

export interface JobEvents {
  /** Resolves once the stream is open or has failed for good, or after `maxMs`, whichever is first. */
  opened: (maxMs?: number) => Promise<void>
  /** Closes the stream (the job is over, or the build stopped); idempotent. */
  stop: () => void
}

/** Follows the node's events into `progress` until `stop()` or `signal`. */
export function followJobEvents (client: NodeClient, progress: BuildProgress, signal?: AbortSignal): JobEvents {
  const controller = new AbortController()
  const stopped = signal == null ? controller.signal : AbortSignal.any([controller.signal, signal])
  let settle!: () => void
  const settled = new Promise<void>(resolve => { settle = resolve })
  void (async () => {
    try {
      for await (const event of client.subscribe({ signal: stopped, onConnect: settle })) progress.event(event)
    } catch (err) {
      if (!stopped.aborted) progress.streamFailed((err as Error).message)
    } finally {
      settle()
    }
  })()
  return {
    opened: async (maxMs = STREAM_OPEN_WAIT_MS) => {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([settled, new Promise<void>(resolve => { timer = setTimeout(resolve, maxMs) })])
      clearTimeout(timer)
    },
    stop: () => { controller.abort() }
  }
}
