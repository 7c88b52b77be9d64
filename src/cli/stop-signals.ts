/**
 * The signals that ask a gmesh command to stop: Ctrl-C, a kill, and a hangup (the terminal closed, an SSH
 * session dropped). Gradle runs in a process group of its own, so none of them reach it: the command must
 * hear every one and stop Gradle itself, or Gradle runs on after it.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Calls `onStop` on each stop signal until the returned function is called. */
export function onStopSignals (onStop: (signal: NodeJS.Signals) => void): () => void {
  for (const signal of STOP_SIGNALS) process.on(signal, onStop)
  return () => { for (const signal of STOP_SIGNALS) process.off(signal, onStop) }
}
