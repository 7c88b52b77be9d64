/**
 * libuv's thread pool of a gmesh process: cache PUTs fsync every blob, and more threads (libuv's default is 4) let
 * those fsyncs overlap. bin/gmesh.js sets it before the first file system call (the pool reads it once, when it
 * starts); benchmarks give the reference servers they put beside a node the same.
 */
export const DEFAULT_UV_THREADPOOL_SIZE = '16'

/** The UV_THREADPOOL_SIZE a gmesh process started with `env` runs with: the one `env` sets, else the default. */
export function uvThreadpoolSize (env: NodeJS.ProcessEnv = process.env): string {
  return env.UV_THREADPOOL_SIZE ?? DEFAULT_UV_THREADPOOL_SIZE
}
