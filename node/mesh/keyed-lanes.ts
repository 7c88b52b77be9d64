/**
 * Work queued by key (a peer, a peer and a protocol) and run a few items at a time per key: the next item of a key
 * starts once one of its running items settles. A key's lane is forgotten once nothing of it waits or runs.
 */
export interface KeyedLanesInit<T> {
  /** Runs one item; must not reject (an item's failure is the runner's to handle). */
  run: (key: string, item: T) => Promise<void>
  /** Items of one key running at once. */
  maxRunning: number
  /** Items of one key waiting; `add` refuses more. */
  maxWaiting: number
  /** Once aborted, nothing more starts. */
  signal: AbortSignal
}

interface Lane<T> { running: number, readonly waiting: T[] }

export class KeyedLanes<T> {
  private readonly lanes = new Map<string, Lane<T>>()

  constructor (private readonly init: KeyedLanesInit<T>) {}

  /** Queues `item` under `key` and starts what may start; false (`item` not queued) when `key` has too many waiting. */
  add (key: string, item: T): boolean {
    const lane = this.lanes.get(key) ?? { running: 0, waiting: [] }
    this.lanes.set(key, lane)
    if (lane.waiting.length >= this.init.maxWaiting) return false
    lane.waiting.push(item)
    this.pump(key, lane)
    return true
  }

  /** Takes the items still waiting under `key`; those running go on. */
  drain (key: string): T[] {
    const lane = this.lanes.get(key)
    if (lane === undefined) return []
    const dropped = lane.waiting.splice(0)
    if (lane.running === 0) this.lanes.delete(key)
    return dropped
  }

  private pump (key: string, lane: Lane<T>): void {
    while (lane.running < this.init.maxRunning && !this.init.signal.aborted) {
      const item = lane.waiting.shift()
      if (item === undefined) break
      lane.running++
      void this.init.run(key, item).finally(() => {
        lane.running--
        this.pump(key, lane)
      })
    }
    if (lane.running === 0 && lane.waiting.length === 0 && this.lanes.get(key) === lane) this.lanes.delete(key)
  }
}
