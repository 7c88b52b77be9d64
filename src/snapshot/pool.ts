/**
 * Runs `work` on every item with at most `limit` running at once. The first failure stops new work from
 * starting, waits for the running ones to settle, and is rethrown.
 */
export async function forEachLimited<T> (items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  let failure: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        await work(items[index]!, index)
      } catch (err) {
        failure ??= { err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  if (failure !== undefined) throw failure.err
}
