import { processes } from './processes.js'

/**
 * For a benchmark run alone (not through bench/run.ts): SIGINT/SIGTERM stop every child by pid and exit
 * 130, and whatever is still alive when the process exits is killed by pid.
 */
export function stopChildrenOnSignal (): void {
  const onSignal = (): void => {
    setTimeout(() => process.exit(130), 15_000).unref()
    void processes.stopAll().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', () => { processes.killAllNow() })
}
