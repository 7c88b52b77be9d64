import type { render } from 'ink-testing-library'

type Instance = ReturnType<typeof render>

/** Resolves with the first frame (the current one included) that satisfies `test`; rejects after `timeoutMs` with the last frame. */
export async function untilFrame (instance: Instance, test: (frame: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const current = instance.lastFrame() ?? ''
  if (test(current)) return current
  const write = instance.stdout.write
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no matching frame within ${timeoutMs} ms; last frame:\n${instance.lastFrame() ?? ''}`)) }, timeoutMs)
      instance.stdout.write = (frame: string) => {
        write(frame)
        if (test(frame)) {
          clearTimeout(timer)
          resolve(frame)
        }
      }
    })
  } finally {
    instance.stdout.write = write
  }
}

/** Makes the test terminal `columns` x `rows` and tells ink it was resized. */
export function resize (instance: Instance, columns: number, rows: number): void {
  Object.defineProperty(instance.stdout, 'columns', { value: columns, configurable: true })
  Object.defineProperty(instance.stdout, 'rows', { value: rows, configurable: true })
  instance.stdout.emit('resize')
}

export const KEYS = { tab: '\t', down: '\u001B[B', up: '\u001B[A', right: '\u001B[C' }
